import secrets


def invite_slug() -> str:
    return secrets.token_urlsafe(12)


def invite_url(team: str) -> str:
    return f"https://app.example.com/join/{team}/{invite_slug()}"
