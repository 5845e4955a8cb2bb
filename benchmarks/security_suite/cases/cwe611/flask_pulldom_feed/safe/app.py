from defusedxml import pulldom
from flask import Flask, request

app = Flask(__name__)


def entry_titles(document: bytes) -> list[str]:
    titles = []
    events = pulldom.parseString(document.decode("utf-8"))
    for event, node in events:
        if event == "START_ELEMENT" and node.tagName == "title":
            events.expandNode(node)
            titles.append(node.firstChild.data if node.firstChild else "")
    return titles


@app.post("/feeds/preview")
def preview_feed():
    return {"titles": entry_titles(request.data)}
