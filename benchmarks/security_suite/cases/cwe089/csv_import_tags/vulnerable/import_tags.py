import sqlite3
import sys


def load_tags(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def insert_tags(conn: sqlite3.Connection, tags: list[str]) -> None:
    script = "".join(f"INSERT INTO tags(name) VALUES ('{tag}');\n" for tag in tags)
    conn.executescript(script)


if __name__ == "__main__":
    connection = sqlite3.connect("catalog.db")
    insert_tags(connection, load_tags(sys.argv[1]))
