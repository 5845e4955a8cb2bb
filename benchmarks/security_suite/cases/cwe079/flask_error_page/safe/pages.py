from flask import make_response
from markupsafe import escape


def error_page(title: str, detail: str, status: int):
    body = (
        "<!doctype html><html><head><title>" + escape(title) + "</title></head>"
        "<body><h1>" + escape(title) + "</h1><p class='detail'>" + escape(detail) + "</p>"
        "</body></html>"
    )
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response
