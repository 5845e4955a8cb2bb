SUPPORTED = {"EUR", "USD", "GBP", "CHF"}


def remember_currency(session, currency: str) -> None:
    code = currency.upper()
    if code not in SUPPORTED:
        raise ValueError(f"unsupported currency {code}")
    session["currency"] = code
    session.modified = True
