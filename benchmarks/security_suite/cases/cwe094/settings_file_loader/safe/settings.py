import ast
import sys


def parse_value(raw: str):
    return ast.literal_eval(raw)


def load_settings(path: str) -> dict:
    settings = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if "=" in line and not line.lstrip().startswith("#"):
                key, raw = line.split("=", 1)
                settings[key.strip()] = parse_value(raw.strip())
    return settings


if __name__ == "__main__":
    print(load_settings(sys.argv[1]))
