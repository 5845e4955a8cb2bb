import os

from Crypto.Cipher import DES
from Crypto.Util.Padding import pad, unpad

KEY = os.environ["FIELD_KEY"].encode()[:8]


def encrypt_ssn(ssn: str) -> bytes:
    return DES.new(KEY, DES.MODE_ECB).encrypt(pad(ssn.encode(), DES.block_size))


def decrypt_ssn(blob: bytes) -> str:
    return unpad(DES.new(KEY, DES.MODE_ECB).decrypt(blob), DES.block_size).decode()
