from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = b"loaded-from-vault-at-startup"
ROLES = ("viewer", "editor")


@app.post("/workspace/switch")
def switch_workspace():
    session["workspace"] = int(request.form["workspace"])
    role = request.form.get("role", "viewer")
    session["role"] = role if role in ROLES else "viewer"
    return redirect("/workspace")
