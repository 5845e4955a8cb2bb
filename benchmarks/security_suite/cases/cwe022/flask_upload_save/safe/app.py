import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
UPLOAD_FOLDER = "/srv/uploads"


@app.post("/upload")
def upload():
    document = request.files["document"]
    filename = secure_filename(document.filename)
    destination = os.path.join(UPLOAD_FOLDER, filename)
    document.save(destination)
    return {"stored": filename}, 201
