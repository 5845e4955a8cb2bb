from lxml import etree

ACCOUNTS = etree.parse("/srv/legacy/accounts.xml")
FIND = etree.XPath("//account[@user=$user and @pin=$pin]/@id")


def find_account(user: str, pin: str) -> str | None:
    matches = FIND(ACCOUNTS.getroot(), user=user, pin=pin)
    return str(matches[0]) if matches else None
