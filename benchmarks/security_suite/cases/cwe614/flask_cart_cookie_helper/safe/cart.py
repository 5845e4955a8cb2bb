def remember_cart(response, cart_id: str):
    response.set_cookie("cart_id", cart_id, httponly=True, secure=True, max_age=7 * 86400)
    return response
