import os

ATTACHMENTS = "/var/lib/helpdesk/attachments"


def read_attachment(name: str) -> bytes:
    path = os.path.realpath(os.path.join(ATTACHMENTS, name))
    if os.path.commonpath([path, ATTACHMENTS]) != ATTACHMENTS:
        raise PermissionError(name)
    with open(path, "rb") as handle:
        return handle.read()
