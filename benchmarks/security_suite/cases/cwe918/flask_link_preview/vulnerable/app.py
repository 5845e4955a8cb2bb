import re

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/preview")
def link_preview():
    url = request.args["url"]
    page = requests.get(url, timeout=5)
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    return jsonify(url=url, title=title.group(1).strip() if title else None)
