import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def seal(key: bytes, payload: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, payload, None)


def new_key() -> bytes:
    return os.urandom(32)
