import requests
from fastapi import FastAPI, Response

app = FastAPI()
IDENTITY = "https://identity.internal/api/token"


@app.post("/session")
def open_session(response: Response, code: str):
    token = requests.post(IDENTITY, data={"code": code}, timeout=10).json()["access_token"]
    response.set_cookie(key="access_token", value=token, httponly=True)
    return {"ok": True}
