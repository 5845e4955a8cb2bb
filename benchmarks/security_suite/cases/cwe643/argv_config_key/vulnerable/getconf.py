import sys

from lxml import etree


def setting(document, key: str) -> list[str]:
    return document.xpath("/configuration/" + key + "/text()")


if __name__ == "__main__":
    doc = etree.parse("/etc/myservice/config.xml")
    print("\n".join(setting(doc, sys.argv[1])))
