import os

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def encrypt_chunk(key: bytes, chunk: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + ChaCha20Poly1305(key).encrypt(nonce, chunk, None)
