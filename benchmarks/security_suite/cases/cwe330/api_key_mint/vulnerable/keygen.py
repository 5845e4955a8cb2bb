import hashlib
import random
import time

random.seed(time.time())


def mint_key(prefix: str = "sk") -> str:
    material = f"{time.time_ns()}:{random.random()}".encode()
    return f"{prefix}_{hashlib.sha256(material).hexdigest()[:40]}"
