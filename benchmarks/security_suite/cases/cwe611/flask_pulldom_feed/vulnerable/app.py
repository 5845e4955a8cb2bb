import xml.sax
from xml.dom import pulldom
from xml.sax.handler import feature_external_ges

from flask import Flask, request

app = Flask(__name__)


def entry_titles(document: bytes) -> list[str]:
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    titles = []
    events = pulldom.parseString(document.decode("utf-8"), parser)
    for event, node in events:
        if event == pulldom.START_ELEMENT and node.tagName == "title":
            events.expandNode(node)
            titles.append(node.firstChild.data if node.firstChild else "")
    return titles


@app.post("/feeds/preview")
def preview_feed():
    return {"titles": entry_titles(request.data)}
