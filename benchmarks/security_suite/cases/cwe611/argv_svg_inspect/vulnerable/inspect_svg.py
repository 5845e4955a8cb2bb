import sys

from lxml import etree


def svg_size(path: str) -> tuple[str, str]:
    parser = etree.XMLParser(resolve_entities=True)
    root = etree.parse(path, parser).getroot()
    return root.get("width", "?"), root.get("height", "?")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(name, *svg_size(name))
