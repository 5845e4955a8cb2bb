import sys
from pathlib import Path

LOG_ROOT = Path("/var/log/shop")


def tail(name: str, lines: int = 50) -> list[str]:
    path = (LOG_ROOT / name).resolve()
    if not path.is_relative_to(LOG_ROOT):
        raise SystemExit(f"{name}: outside {LOG_ROOT}")
    text = path.read_text(errors="replace")
    return text.splitlines()[-lines:]


if __name__ == "__main__":
    for line in tail(sys.argv[1]):
        print(line)
