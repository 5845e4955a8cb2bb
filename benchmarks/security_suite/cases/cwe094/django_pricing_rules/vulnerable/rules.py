def applies(condition: str, order: dict) -> bool:
    return bool(eval(condition, {"__builtins__": {}}, dict(order)))
