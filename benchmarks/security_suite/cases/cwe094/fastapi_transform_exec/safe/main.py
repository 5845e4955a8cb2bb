from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()
TRANSFORMS = {"upper": str.upper, "lower": str.lower, "title": str.title, "strip": str.strip}


class TransformRequest(BaseModel):
    transform: str
    value: str


@app.post("/transform")
def transform(req: TransformRequest):
    if req.transform not in TRANSFORMS:
        raise HTTPException(status_code=400, detail="unknown transform")
    return {"result": TRANSFORMS[req.transform](req.value)}
