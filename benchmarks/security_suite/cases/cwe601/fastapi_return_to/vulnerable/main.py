from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/checkout/done")
def checkout_done(order: int, return_to: str = "/orders"):
    return RedirectResponse(url=return_to, status_code=303)
