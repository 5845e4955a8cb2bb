import ldap
from ldap.filter import escape_filter_chars


def find_account(conn, login: str) -> str:
    hits = conn.search_s(
        "ou=people,dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + escape_filter_chars(login) + ")"
    )
    return hits[0][0]


def main() -> None:
    conn = ldap.initialize("ldap://localhost")
    conn.simple_bind_s("cn=admin,dc=example,dc=org", input("admin password: "))
    login = input("account to disable: ")
    dn = find_account(conn, login)
    conn.modify_s(dn, [(ldap.MOD_REPLACE, "loginShell", [b"/usr/sbin/nologin"])])


if __name__ == "__main__":
    main()
