from flask import Flask, request

from .pages import error_page

app = Flask(__name__)


@app.route("/login/failed")
def login_failed():
    reason = request.args.get("reason", "unknown error")
    return error_page("Sign-in failed", reason, 401)
