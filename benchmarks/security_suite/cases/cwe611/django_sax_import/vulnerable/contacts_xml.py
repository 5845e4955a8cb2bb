import xml.sax
from xml.sax.handler import ContentHandler, feature_external_ges


class ContactHandler(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.contacts: list[dict] = []

    def startElement(self, name, attrs):
        if name == "contact":
            self.contacts.append({"name": attrs.get("name"), "email": attrs.get("email")})


def read_contacts(stream) -> list[dict]:
    handler = ContactHandler()
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    parser.setContentHandler(handler)
    parser.parse(stream)
    return handler.contacts
