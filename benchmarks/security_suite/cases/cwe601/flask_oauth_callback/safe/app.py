import json
from base64 import urlsafe_b64decode

from flask import Flask, redirect, request

app = Flask(__name__)
AFTER_LOGIN = {"/", "/settings", "/billing", "/projects"}


def finish_login(destination: str):
    if destination not in AFTER_LOGIN:
        destination = "/"
    response = redirect(destination)
    response.headers["Cache-Control"] = "no-store"
    return response


@app.get("/oauth/callback")
def oauth_callback():
    state = json.loads(urlsafe_b64decode(request.args["state"]))
    return finish_login(state.get("after", "/"))
