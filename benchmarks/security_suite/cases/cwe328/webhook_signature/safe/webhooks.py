import hmac
import os

from flask import Flask, abort, request

from .signing import signature

app = Flask(__name__)
SECRET = os.environ["WEBHOOK_SECRET"].encode()


@app.post("/webhooks/payments")
def payment_event():
    expected = signature(SECRET, request.get_data())
    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):
        abort(403)
    return {"ok": True}
