from flask import Flask, request, session

app = Flask(__name__)
SORT_KEYS = {"id", "priority", "updated"}


def remember_listing_prefs(page_size, sort) -> None:
    session["page_size"] = min(int(page_size), 200)
    session["sort"] = sort if sort in SORT_KEYS else "id"


@app.get("/tickets")
def tickets():
    remember_listing_prefs(request.args.get("page_size", "25"), request.args.get("sort", "id"))
    return {"page_size": session["page_size"], "sort": session["sort"]}
