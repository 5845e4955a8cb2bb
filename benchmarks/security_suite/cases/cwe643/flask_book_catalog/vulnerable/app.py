from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("catalog.xml")


@app.get("/books")
def books_by_author():
    author = request.args.get("author", "")
    titles = CATALOG.xpath(f"//book[author='{author}']/title/text()")
    return jsonify(titles=[str(t) for t in titles])
