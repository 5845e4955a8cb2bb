import sqlite3
import sys


def build_query(account: str) -> str:
    return (
        "SELECT posted_on, amount, memo FROM ledger "
        "WHERE account = '" + account + "' ORDER BY posted_on"
    )


def print_report(conn: sqlite3.Connection, account: str) -> None:
    for posted_on, amount, memo in conn.execute(build_query(account)):
        print(f"{posted_on}  {amount:>10.2f}  {memo}")


def main() -> None:
    conn = sqlite3.connect("ledger.db")
    print_report(conn, sys.argv[1])


if __name__ == "__main__":
    main()
