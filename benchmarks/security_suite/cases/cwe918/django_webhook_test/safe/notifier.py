from urllib.parse import urlparse

import requests

WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "discord.com", "api.pagerduty.com"})


def deliver(endpoint: str, payload: dict) -> int:
    parsed = urlparse(endpoint)
    if parsed.scheme != "https" or parsed.hostname not in WEBHOOK_HOSTS:
        raise ValueError(f"webhook host not allowed: {parsed.hostname}")
    response = requests.post(endpoint, json=payload, timeout=10)
    return response.status_code
