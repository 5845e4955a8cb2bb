import hashlib
import os
import sqlite3


def create_account(conn: sqlite3.Connection, email: str, password: str) -> None:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
    conn.execute(
        "INSERT INTO accounts(email, password_hash) VALUES (?, ?)",
        (email, salt.hex() + "$" + digest.hex()),
    )
