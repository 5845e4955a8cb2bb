from flask import Flask, redirect, request

from .auth import start_session

app = Flask(__name__)


@app.post("/sso/accept")
def accept_sso():
    start_session(request.get_json())
    return redirect("/")
