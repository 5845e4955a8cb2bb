import csv
import os
import sqlite3
import sys


def dump_table(conn: sqlite3.Connection, table: str, out) -> None:
    cursor = conn.execute("SELECT * FROM {}".format(table))
    writer = csv.writer(out)
    writer.writerow(col[0] for col in cursor.description)
    writer.writerows(cursor)


def main() -> None:
    table = os.environ.get("EXPORT_TABLE", "events")
    conn = sqlite3.connect(os.environ.get("EXPORT_DB", "app.db"))
    dump_table(conn, table, sys.stdout)


if __name__ == "__main__":
    main()
