import random


def one_time_code(digits: int = 6) -> str:
    return str(random.randint(0, 10**digits - 1)).zfill(digits)
