import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/health/{service}")
def service_health(service: str):
    reply = requests.get(f"http://{service}/healthz", timeout=3)
    return {"service": service, "status": reply.status_code}
