import shlex
import subprocess

from fastapi import FastAPI

app = FastAPI()
REPO = "/srv/git/website.git"


@app.get("/history")
def history(branch: str = "main"):
    log = subprocess.check_output(
        "git --git-dir=" + REPO + " log --oneline -n 20 --end-of-options " + shlex.quote(branch),
        shell=True,
        text=True,
    )
    return {"branch": branch, "commits": log.splitlines()}
