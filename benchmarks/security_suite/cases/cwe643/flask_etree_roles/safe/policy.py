import xml.etree.ElementTree as ET

POLICY = ET.parse("/etc/portal/policy.xml").getroot()


def roles_for(user: str) -> list[str]:
    return [
        role.text
        for entry in POLICY.findall("./user")
        if entry.get("name") == user
        for role in entry.findall("role")
    ]
