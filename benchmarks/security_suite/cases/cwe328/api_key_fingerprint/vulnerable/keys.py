import secrets

from cryptography.hazmat.primitives import hashes


def issue_api_key() -> tuple[str, str]:
    key = secrets.token_urlsafe(32)
    digest = hashes.Hash(hashes.SHA1())
    digest.update(key.encode())
    return key, digest.finalize().hex()
