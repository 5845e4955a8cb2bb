import sys

from .remote import uptime


def read_hosts(path: str) -> list[str]:
    with open(path) as handle:
        return [line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()]


def main() -> None:
    for host in read_hosts(sys.argv[1]):
        print(host, uptime(host))
