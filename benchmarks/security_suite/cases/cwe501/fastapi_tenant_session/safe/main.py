from fastapi import FastAPI, HTTPException, Request
from starlette.middleware.sessions import SessionMiddleware

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key="injected-by-deployment")
TENANTS = {"acme", "globex", "initech"}


@app.post("/tenant")
def choose_tenant(request: Request):
    tenant = request.headers["X-Tenant"]
    if tenant not in TENANTS:
        raise HTTPException(status_code=403, detail="unknown tenant")
    request.session["tenant"] = tenant
    return {"tenant": request.session["tenant"]}
