import hashlib


def signature(secret: bytes, body: bytes) -> str:
    return hashlib.md5(secret + body).hexdigest()
