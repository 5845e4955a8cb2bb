from sqlalchemy import create_engine, text

engine = create_engine("postgresql+psycopg2://shop@localhost/shop")


def orders_for_customer(customer: str, status: str) -> list[dict]:
    statement = text(
        "SELECT id, total FROM orders WHERE customer_ref = :customer AND status = :status"
    )
    with engine.connect() as conn:
        rows = conn.execute(statement, {"customer": customer, "status": status})
        return [dict(row._mapping) for row in rows]
