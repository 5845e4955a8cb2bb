from flask import Flask, request

from .media import download_avatar

app = Flask(__name__)


@app.post("/profile/avatar")
def import_avatar():
    payload = request.get_json(force=True)
    path = download_avatar(payload["user_id"], payload["avatar_url"])
    return {"saved": path}
