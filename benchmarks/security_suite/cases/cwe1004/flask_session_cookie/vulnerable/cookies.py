def attach_session(response, session_id: str):
    response.set_cookie("sid", session_id, secure=True, httponly=False, samesite="Strict")
    return response
