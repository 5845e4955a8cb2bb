from urllib.parse import urlparse

from flask import Flask, redirect, request, session

app = Flask(__name__)


@app.post("/login")
def login():
    if request.form["password"] != lookup_password(request.form["user"]):
        return {"error": "bad credentials"}, 401
    session["user"] = request.form["user"]
    target = request.args.get("next", "/dashboard")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        target = "/dashboard"
    return redirect(target)


def lookup_password(user: str) -> str:
    return ""
