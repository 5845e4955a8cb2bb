import xml.etree.ElementTree as ET

POLICY = ET.parse("/etc/portal/policy.xml").getroot()


def roles_for(user: str) -> list[str]:
    return [role.text for role in POLICY.findall(f"./user[@name='{user}']/role")]
