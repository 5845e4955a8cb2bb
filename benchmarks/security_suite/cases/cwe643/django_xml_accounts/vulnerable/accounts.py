from lxml import etree

ACCOUNTS = etree.parse("/srv/legacy/accounts.xml")


def find_account(user: str, pin: str) -> str | None:
    query = "//account[@user='" + user + "' and @pin='" + pin + "']/@id"
    matches = ACCOUNTS.getroot().xpath(query)
    return str(matches[0]) if matches else None
