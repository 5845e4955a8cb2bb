import urllib.request
import xml.etree.ElementTree as ET

from flask import Flask, request

app = Flask(__name__)


def fetch_feed(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


@app.post("/feeds/subscribe")
def subscribe():
    raw = fetch_feed(request.form["feed_url"])
    return {"title": ET.fromstring(raw).findtext("channel/title")}
