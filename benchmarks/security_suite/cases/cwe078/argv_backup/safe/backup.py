import os
import shlex
import sys
from datetime import date


def archive(destination: str) -> int:
    stamp = date.today().isoformat()
    target = shlex.quote(f"{destination}/data-{stamp}.tgz")
    pipe = os.popen(f"tar czf {target} /srv/data 2>&1")
    output = pipe.read()
    if output:
        print(output, file=sys.stderr)
    return pipe.close() or 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: backup.py DESTINATION", file=sys.stderr)
        return 2
    return archive(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
