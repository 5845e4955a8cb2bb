import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
DATABASE = "users.db"


@app.route("/users")
def find_user():
    username = request.args.get("username", "")
    conn = sqlite3.connect(DATABASE)
    cursor = conn.cursor()
    cursor.execute(f"SELECT id, email FROM users WHERE username = '{username}'")
    row = cursor.fetchone()
    conn.close()
    if row is None:
        return jsonify(error="not found"), 404
    return jsonify(id=row[0], email=row[1])
