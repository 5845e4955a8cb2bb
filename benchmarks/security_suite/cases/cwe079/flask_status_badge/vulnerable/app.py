from flask import Flask, render_template, request
from markupsafe import Markup

app = Flask(__name__)


def badge(label: str, tone: str = "info") -> Markup:
    return Markup(f'<span class="badge badge-{tone}">{label}</span>')


@app.route("/status")
def status():
    label = request.args.get("label", "ok")
    return render_template("status.html", badge=badge(label))
