import secrets


def mint_key(prefix: str = "sk") -> str:
    return f"{prefix}_{secrets.token_hex(20)}"
