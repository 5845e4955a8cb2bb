import yaml


def parse_pipeline(text: str) -> dict:
    document = yaml.load(text, Loader=yaml.Loader)
    if not isinstance(document, dict):
        raise ValueError("a pipeline is a mapping")
    return document
