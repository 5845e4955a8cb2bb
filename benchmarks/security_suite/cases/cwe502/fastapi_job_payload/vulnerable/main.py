import jsonpickle
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/jobs")
async def submit_job(request: Request):
    job = jsonpickle.decode(await request.body())
    return {"queued": getattr(job, "name", "job")}
