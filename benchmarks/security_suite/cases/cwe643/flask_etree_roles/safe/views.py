from flask import Flask, request

from .policy import roles_for

app = Flask(__name__)


@app.get("/roles")
def roles():
    return {"roles": roles_for(request.headers.get("X-User", "anonymous"))}
