import requests

IDENTITY = "https://identity.internal/api/token"


def open_session(http: requests.Session, code: str) -> None:
    token = requests.post(IDENTITY, data={"code": code}, timeout=10).json()["access_token"]
    http.cookies.set("access_token", token, domain="api.internal", path="/")
