import hashlib
import sqlite3


def create_account(conn: sqlite3.Connection, email: str, password: str) -> None:
    digest = hashlib.md5(password.encode("utf-8")).hexdigest()
    conn.execute("INSERT INTO accounts(email, password_hash) VALUES (?, ?)", (email, digest))
