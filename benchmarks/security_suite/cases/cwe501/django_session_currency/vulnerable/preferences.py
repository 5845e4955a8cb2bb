def remember_currency(session, currency: str) -> None:
    session["currency"] = currency.upper()
    session.modified = True
