from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe(email: str):
    return HTMLResponse(
        content=f"<p>{email} will no longer receive our newsletter.</p>", status_code=200
    )
