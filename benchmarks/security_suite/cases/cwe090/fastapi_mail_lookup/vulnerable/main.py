from fastapi import FastAPI
from ldap3 import Connection, Server

app = FastAPI()


@app.get("/directory/by-mail")
def by_mail(mail: str):
    conn = Connection(Server("ldap://directory.internal"), auto_bind=True)
    conn.search("dc=internal", f"(mail={mail})", attributes=["uid", "displayName"])
    return [str(entry.uid) for entry in conn.entries]
