import http.client

from .tls import client_context


def fetch_status(host: str) -> int:
    conn = http.client.HTTPSConnection(host, context=client_context(), timeout=10)
    conn.request("GET", "/status")
    return conn.getresponse().status
