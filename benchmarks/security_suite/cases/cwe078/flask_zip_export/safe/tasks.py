import shlex
import subprocess
import tempfile

REPORTS = "/srv/reports"


def zip_reports(pattern: str) -> str:
    archive = tempfile.NamedTemporaryFile(suffix=".zip", delete=False).name
    command = f"cd {REPORTS} && zip -q {archive} {shlex.quote(pattern)}"
    subprocess.run(["sh", "-c", command], check=True)
    return archive
