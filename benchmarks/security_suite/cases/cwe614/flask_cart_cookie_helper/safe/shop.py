import uuid

from flask import Flask, jsonify

from .cart import remember_cart

app = Flask(__name__)


@app.post("/cart")
def create_cart():
    cart_id = uuid.uuid4().hex
    return remember_cart(jsonify(cart=cart_id), cart_id)
