import operator

RULES = {
    "large_order": ("total", operator.ge, 100.0),
    "bulk": ("items", operator.ge, 10),
}


def applies(condition: str, order: dict) -> bool:
    if condition not in RULES:
        raise ValueError(f"unknown rule {condition!r}")
    field, compare, threshold = RULES[condition]
    return bool(compare(order[field], threshold))
