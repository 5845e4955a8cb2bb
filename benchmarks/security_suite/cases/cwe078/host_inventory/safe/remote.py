import shlex
import subprocess


def uptime(host: str) -> str:
    result = subprocess.run(
        f"ssh -o BatchMode=yes {shlex.quote(host)} uptime",
        shell=True,
        capture_output=True,
        text=True,
        timeout=15,
    )
    return result.stdout.strip() or result.stderr.strip()
