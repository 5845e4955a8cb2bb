from flask import Blueprint, jsonify, request

from .repository import orders_for_customer

orders = Blueprint("orders", __name__)


@orders.get("/orders")
def customer_orders():
    customer = request.args["customer"]
    status = request.args.get("status", "open")
    return jsonify(orders_for_customer(customer, status))
