import sys

from lxml import etree

KNOWN_KEYS = ("listen", "workers", "log_level", "database/url")


def setting(document, key: str) -> list[str]:
    if key not in KNOWN_KEYS:
        raise SystemExit(f"unknown setting {key}")
    return document.xpath("/configuration/" + key + "/text()")


if __name__ == "__main__":
    doc = etree.parse("/etc/myservice/config.xml")
    print("\n".join(setting(doc, sys.argv[1])))
