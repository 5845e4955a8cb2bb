from flask import Flask, request

from .rendering import render_digest

app = Flask(__name__)


@app.post("/digest/preview")
def preview_digest():
    payload = request.get_json()
    return render_digest(payload["display_name"], payload.get("items", []))
