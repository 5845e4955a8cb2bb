import base64
import json


def restore(snapshot: str) -> dict:
    return json.loads(base64.b64decode(snapshot))
