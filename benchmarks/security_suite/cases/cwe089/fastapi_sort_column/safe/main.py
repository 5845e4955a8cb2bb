import sqlite3

from fastapi import FastAPI, HTTPException

app = FastAPI()
SORTABLE = {"name": "name", "price": "price", "newest": "created_at DESC"}


@app.get("/products")
def list_products(sort: str = "name", limit: int = 20):
    if sort not in SORTABLE:
        raise HTTPException(status_code=400, detail="unknown sort column")
    conn = sqlite3.connect("shop.db")
    query = f"SELECT id, name, price FROM products ORDER BY {SORTABLE[sort]} LIMIT {limit}"
    rows = conn.execute(query).fetchall()
    return [{"id": r[0], "name": r[1], "price": r[2]} for r in rows]
