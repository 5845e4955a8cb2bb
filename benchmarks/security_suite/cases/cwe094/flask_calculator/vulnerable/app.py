from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/api/calc")
def calculate():
    expression = request.args.get("expr", "0")
    return jsonify(expression=expression, value=eval(expression))
