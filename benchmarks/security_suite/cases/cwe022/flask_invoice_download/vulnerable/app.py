import os

from flask import Flask, request, send_file

app = Flask(__name__)
INVOICE_DIR = "/srv/app/invoices"


@app.get("/invoices/download")
def download_invoice():
    filename = request.args["file"]
    return send_file(os.path.join(INVOICE_DIR, filename), as_attachment=True)
