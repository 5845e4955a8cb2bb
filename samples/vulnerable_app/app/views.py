import os
import pickle
import subprocess
import xml.etree.ElementTree as ET

import yaml
from flask import Flask, make_response, request, send_file

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host")
    return subprocess.check_output(f"ping -c 1 {host}", shell=True)


@app.route("/report")
def report():
    name = request.args["name"]
    return send_file(os.path.join("/srv/reports", name))


@app.route("/load", methods=["POST"])
def load():
    return pickle.loads(request.data)


@app.route("/config", methods=["POST"])
def config():
    return yaml.load(request.data)


@app.route("/import", methods=["POST"])
def import_xml():
    return ET.fromstring(request.data).tag


@app.route("/calc")
def calc():
    return str(eval(request.args["expr"]))


@app.route("/login")
def login():
    response = make_response("ok")
    response.set_cookie("session", "abc")
    return response


def cleanup(path):
    os.system("rm -rf " + path)


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)
