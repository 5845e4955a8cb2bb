import sqlite3

from fastapi import FastAPI

app = FastAPI()


@app.get("/products")
def list_products(sort: str = "name", limit: int = 20):
    conn = sqlite3.connect("shop.db")
    query = f"SELECT id, name, price FROM products ORDER BY {sort} LIMIT {limit}"
    rows = conn.execute(query).fetchall()
    return [{"id": r[0], "name": r[1], "price": r[2]} for r in rows]
