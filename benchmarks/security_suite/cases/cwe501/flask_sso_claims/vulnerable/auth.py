from flask import session


def start_session(claims: dict) -> None:
    session.clear()
    session["member"] = claims["member_id"]
    session["is_admin"] = claims.get("admin", False)
