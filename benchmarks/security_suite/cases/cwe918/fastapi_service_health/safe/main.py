import requests
from fastapi import FastAPI, HTTPException

app = FastAPI()
SERVICES = {"billing": "billing.svc.cluster.local", "search": "search.svc.cluster.local"}


@app.get("/health/{service}")
def service_health(service: str):
    if service not in SERVICES:
        raise HTTPException(status_code=404, detail="unknown service")
    reply = requests.get(f"http://{SERVICES[service]}/healthz", timeout=3)
    return {"service": service, "status": reply.status_code}
