import psycopg2


def deactivate_account() -> None:
    email = input("Email of the account to deactivate: ").strip()
    conn = psycopg2.connect(dbname="accounts")
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE accounts SET active = false WHERE email = %s", (email,))
        print(f"{cur.rowcount} account(s) deactivated")


if __name__ == "__main__":
    deactivate_account()
