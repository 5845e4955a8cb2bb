from flask import Flask, request, session

app = Flask(__name__)


def remember_listing_prefs(page_size, sort) -> None:
    session["page_size"] = page_size
    session["sort"] = sort


@app.get("/tickets")
def tickets():
    remember_listing_prefs(request.args.get("page_size", "25"), request.args.get("sort", "id"))
    return {"page_size": session["page_size"], "sort": session["sort"]}
