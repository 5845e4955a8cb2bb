def attach_session(response, session_id: str):
    response.set_cookie("sid", session_id, secure=True, httponly=True, samesite="Strict")
    return response
