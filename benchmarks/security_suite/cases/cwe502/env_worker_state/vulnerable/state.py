import base64
import marshal


def restore(snapshot: str) -> dict:
    return marshal.loads(base64.b64decode(snapshot))
