import re
from urllib.parse import urlparse

import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
PREVIEW_HOSTS = {"github.com", "docs.python.org", "en.wikipedia.org"}


@app.get("/preview")
def link_preview():
    url = request.args["url"]
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in PREVIEW_HOSTS:
        abort(400)
    page = requests.get(url, timeout=5)
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    return jsonify(url=url, title=title.group(1).strip() if title else None)
