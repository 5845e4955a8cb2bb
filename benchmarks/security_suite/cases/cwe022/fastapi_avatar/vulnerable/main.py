from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()
AVATARS = Path("/srv/static/avatars")


@app.get("/avatars/{filename}")
def avatar(filename: str):
    return FileResponse(AVATARS / filename, media_type="image/png")
