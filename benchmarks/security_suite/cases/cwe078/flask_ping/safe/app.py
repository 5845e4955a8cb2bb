import os
import shlex

from flask import Flask, request

app = Flask(__name__)


@app.post("/diagnostics/ping")
def ping():
    host = request.form["host"]
    status = os.system(f"ping -c 1 -W 2 {shlex.quote(host)} > /dev/null")
    return {"host": host, "reachable": status == 0}
