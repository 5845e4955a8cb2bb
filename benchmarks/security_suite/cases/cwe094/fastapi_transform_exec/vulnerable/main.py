from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class TransformRequest(BaseModel):
    transform: str
    value: str


@app.post("/transform")
def transform(req: TransformRequest):
    scope = {"value": req.value}
    exec(f"result = value.{req.transform}()", {}, scope)
    return {"result": scope["result"]}
