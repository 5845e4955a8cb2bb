import tarfile
import tempfile

from flask import Flask, request

app = Flask(__name__)
THEMES = "/srv/cms/themes"


@app.post("/admin/themes")
def install_theme():
    upload = request.files["theme"]
    with tempfile.TemporaryFile() as spool:
        upload.save(spool)
        spool.seek(0)
        with tarfile.open(fileobj=spool, mode="r:gz") as archive:
            archive.extractall(THEMES, filter="data")
    return {"installed": upload.filename}, 201
