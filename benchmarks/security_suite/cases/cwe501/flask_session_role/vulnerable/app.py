from flask import Flask, redirect, request, session

app = Flask(__name__)
app.secret_key = b"loaded-from-vault-at-startup"


@app.post("/workspace/switch")
def switch_workspace():
    session["workspace"] = request.form["workspace"]
    session["role"] = request.form.get("role", "viewer")
    return redirect("/workspace")
