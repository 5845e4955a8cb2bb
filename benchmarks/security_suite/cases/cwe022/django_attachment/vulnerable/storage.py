import os

ATTACHMENTS = "/var/lib/helpdesk/attachments"


def read_attachment(name: str) -> bytes:
    with open(os.path.join(ATTACHMENTS, name), "rb") as handle:
        return handle.read()
