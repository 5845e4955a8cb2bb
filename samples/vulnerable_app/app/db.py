import hashlib
import sqlite3


def find_user(conn: sqlite3.Connection, name: str):
    query = "SELECT * FROM users WHERE name = '%s'" % name
    return conn.execute(query).fetchall()


def find_orders(conn: sqlite3.Connection, user_id: str):
    return conn.execute(f"SELECT * FROM orders WHERE user_id = {user_id}").fetchall()


def password_hash(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def safe_find(conn: sqlite3.Connection, name: str):
    return conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()
