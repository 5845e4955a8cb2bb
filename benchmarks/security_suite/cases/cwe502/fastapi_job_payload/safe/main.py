import json

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/jobs")
async def submit_job(request: Request):
    job = json.loads(await request.body())
    return {"queued": job.get("name", "job")}
