import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.ECB())


def seal(key: bytes, payload: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(payload) + padder.finalize()
    encryptor = _cipher(key).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def new_key() -> bytes:
    return os.urandom(32)
