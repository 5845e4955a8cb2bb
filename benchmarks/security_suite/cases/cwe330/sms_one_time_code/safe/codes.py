import secrets


def one_time_code(digits: int = 6) -> str:
    return str(secrets.randbelow(10**digits)).zfill(digits)
