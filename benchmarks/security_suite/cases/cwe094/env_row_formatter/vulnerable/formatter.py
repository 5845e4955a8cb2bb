import os


def make_formatter(expression: str):
    return eval("lambda row: " + expression)


def print_rows(rows: list[dict]) -> None:
    formatter = make_formatter(os.environ.get("ROW_FORMAT", "row['name']"))
    for row in rows:
        print(formatter(row))
