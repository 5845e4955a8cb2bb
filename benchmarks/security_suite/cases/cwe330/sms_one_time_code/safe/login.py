from flask import Flask, request, session

from .codes import one_time_code

app = Flask(__name__)


@app.post("/login/sms")
def send_code():
    code = one_time_code()
    session["pending_code"] = code
    send_sms(request.form["phone"], f"Your sign-in code is {code}")
    return {"sent": True}


def send_sms(phone: str, text: str) -> None:
    print(phone, text)
