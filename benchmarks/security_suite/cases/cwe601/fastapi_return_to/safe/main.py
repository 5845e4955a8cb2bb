from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()
RETURN_PAGES = ("/orders", "/cart", "/account")


@app.get("/checkout/done")
def checkout_done(order: int, return_to: str = "/orders"):
    if return_to not in RETURN_PAGES:
        return_to = "/orders"
    return RedirectResponse(url=return_to, status_code=303)
