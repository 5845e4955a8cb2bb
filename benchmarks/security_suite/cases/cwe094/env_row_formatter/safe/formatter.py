import os

FORMATTERS = {
    "name": lambda row: row["name"],
    "name_email": lambda row: f"{row['name']} <{row['email']}>",
}


def make_formatter(choice: str):
    if choice not in FORMATTERS:
        raise SystemExit(f"ROW_FORMAT must be one of {sorted(FORMATTERS)}")
    return FORMATTERS[choice]


def print_rows(rows: list[dict]) -> None:
    formatter = make_formatter(os.environ.get("ROW_FORMAT", "name"))
    for row in rows:
        print(formatter(row))
