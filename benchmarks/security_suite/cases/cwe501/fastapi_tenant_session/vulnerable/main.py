from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key="injected-by-deployment")


@app.post("/tenant")
def choose_tenant(request: Request):
    request.session["tenant"] = request.headers["X-Tenant"]
    return {"tenant": request.session["tenant"]}
