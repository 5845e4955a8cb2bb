from flask import Flask, request, send_file

from .tasks import zip_reports

app = Flask(__name__)


@app.post("/reports/export")
def export_reports():
    pattern = request.get_json()["pattern"]
    return send_file(zip_reports(pattern), as_attachment=True)
