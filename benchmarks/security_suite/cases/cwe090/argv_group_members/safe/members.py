import sys

import ldap
from ldap.filter import filter_format


def group_members(conn, group: str) -> list[str]:
    query = filter_format("(&(objectClass=groupOfNames)(cn=%s))", [group])
    entries = conn.search_s("ou=groups,dc=example,dc=org", ldap.SCOPE_ONELEVEL, query, ["member"])
    return [m.decode() for _dn, attrs in entries for m in attrs.get("member", [])]


if __name__ == "__main__":
    connection = ldap.initialize("ldap://localhost")
    for member in group_members(connection, sys.argv[1]):
        print(member)
