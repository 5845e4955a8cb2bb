import os

from flask import Flask, request

app = Flask(__name__)
UPLOAD_FOLDER = "/srv/uploads"


@app.post("/upload")
def upload():
    document = request.files["document"]
    destination = os.path.join(UPLOAD_FOLDER, document.filename)
    document.save(destination)
    return {"stored": document.filename}, 201
