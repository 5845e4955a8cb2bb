import base64
import random


def invite_slug() -> str:
    raw = bytes(random.randrange(256) for _ in range(12))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invite_url(team: str) -> str:
    return f"https://app.example.com/join/{team}/{invite_slug()}"
