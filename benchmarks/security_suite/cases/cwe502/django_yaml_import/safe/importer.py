import yaml


def parse_pipeline(text: str) -> dict:
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError("a pipeline is a mapping")
    return document
