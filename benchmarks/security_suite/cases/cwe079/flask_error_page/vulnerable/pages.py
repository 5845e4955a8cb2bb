from flask import make_response


def error_page(title: str, detail: str, status: int):
    body = (
        "<!doctype html><html><head><title>" + title + "</title></head>"
        "<body><h1>" + title + "</h1><p class='detail'>" + detail + "</p></body></html>"
    )
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response
