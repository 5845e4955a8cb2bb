import secrets

from flask import Flask, make_response, request

app = Flask(__name__)


@app.post("/api/login")
def api_login():
    token = secrets.token_urlsafe(32)
    store_token(request.form["user"], token)
    response = make_response({"ok": True})
    response.set_cookie("auth_token", token, max_age=3600, samesite="Lax")
    return response


def store_token(user: str, token: str) -> None:
    pass
