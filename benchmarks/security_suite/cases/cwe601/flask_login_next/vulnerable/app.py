from flask import Flask, redirect, request, session

app = Flask(__name__)


@app.post("/login")
def login():
    if request.form["password"] != lookup_password(request.form["user"]):
        return {"error": "bad credentials"}, 401
    session["user"] = request.form["user"]
    return redirect(request.args.get("next", "/dashboard"))


def lookup_password(user: str) -> str:
    return ""
