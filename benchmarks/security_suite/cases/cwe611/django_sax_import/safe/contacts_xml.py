from xml.sax.handler import ContentHandler

import defusedxml.sax


class ContactHandler(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.contacts: list[dict] = []

    def startElement(self, name, attrs):
        if name == "contact":
            self.contacts.append({"name": attrs.get("name"), "email": attrs.get("email")})


def read_contacts(stream) -> list[dict]:
    handler = ContactHandler()
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(handler)
    parser.parse(stream)
    return handler.contacts
