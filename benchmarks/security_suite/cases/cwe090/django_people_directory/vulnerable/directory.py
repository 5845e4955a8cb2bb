from ldap3 import ALL, Connection, Server

SERVER = Server("ldap.corp.example.com", get_info=ALL)


def find_people(name: str) -> list[dict]:
    conn = Connection(SERVER, auto_bind=True)
    conn.search(
        "ou=staff,dc=corp,dc=example,dc=com",
        "(&(objectClass=inetOrgPerson)(cn=*" + name + "*))",
        attributes=["cn", "mail", "telephoneNumber"],
    )
    return [entry.entry_attributes_as_dict for entry in conn.entries]
