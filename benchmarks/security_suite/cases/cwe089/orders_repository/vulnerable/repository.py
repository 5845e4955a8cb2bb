from sqlalchemy import create_engine, text

engine = create_engine("postgresql+psycopg2://shop@localhost/shop")


def orders_for_customer(customer: str, status: str) -> list[dict]:
    statement = text(
        f"SELECT id, total FROM orders WHERE customer_ref = '{customer}' AND status = '{status}'"
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(statement)]
