from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()


def with_refresh_cookie(response: JSONResponse, refresh: str) -> JSONResponse:
    response.set_cookie(
        "refresh_token", refresh, secure=True, httponly=True, path="/auth/refresh"
    )
    return response


@app.post("/auth/token")
def token():
    return with_refresh_cookie(JSONResponse({"access": "issued"}), mint_refresh_token())


def mint_refresh_token() -> str:
    return "opaque"
