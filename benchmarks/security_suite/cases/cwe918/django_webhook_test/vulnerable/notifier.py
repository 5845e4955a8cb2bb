import requests


def deliver(endpoint: str, payload: dict) -> int:
    response = requests.post(endpoint, json=payload, timeout=10)
    return response.status_code
