import subprocess

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()


def render_pages(document: str, dpi: str) -> str:
    out = f"/tmp/render/{document}"
    subprocess.check_call(f"pdftoppm -r {dpi} -png /srv/docs/{document}.pdf {out}", shell=True)
    return out + "-1.png"


@app.get("/preview/{document}")
def preview(document: str, dpi: str = "72"):
    return FileResponse(render_pages(document, dpi))
