from flask import Flask, render_template, request
from markupsafe import Markup, escape

app = Flask(__name__)


def badge(label: str, tone: str = "info") -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(escape(tone), escape(label))


@app.route("/status")
def status():
    label = request.args.get("label", "ok")
    return render_template("status.html", badge=badge(label))
