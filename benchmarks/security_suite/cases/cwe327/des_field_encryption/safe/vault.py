import os

from Crypto.Cipher import AES

KEY = bytes.fromhex(os.environ["FIELD_KEY"])


def encrypt_ssn(ssn: str) -> bytes:
    cipher = AES.new(KEY, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(ssn.encode())
    return cipher.nonce + tag + ciphertext


def decrypt_ssn(blob: bytes) -> str:
    nonce, tag, ciphertext = blob[:16], blob[16:32], blob[32:]
    return AES.new(KEY, AES.MODE_GCM, nonce=nonce).decrypt_and_verify(ciphertext, tag).decode()
