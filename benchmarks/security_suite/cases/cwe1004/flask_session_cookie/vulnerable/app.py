import secrets

from flask import Flask, jsonify

from .cookies import attach_session

app = Flask(__name__)


@app.post("/session")
def new_session():
    return attach_session(jsonify(ok=True), secrets.token_hex(32))
