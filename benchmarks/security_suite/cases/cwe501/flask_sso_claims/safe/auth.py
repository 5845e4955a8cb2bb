from flask import session

ADMINS = frozenset({"alice@example.com", "ops@example.com"})


def start_session(claims: dict) -> None:
    session.clear()
    session["member"] = int(claims["member_id"])
    session["is_admin"] = claims.get("email") in ADMINS
