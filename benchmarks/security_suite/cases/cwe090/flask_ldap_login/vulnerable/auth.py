import ldap
from flask import Flask, abort, request, session

app = Flask(__name__)
BASE_DN = "ou=people,dc=example,dc=org"


@app.post("/login")
def login():
    username = request.form["username"]
    password = request.form["password"]
    conn = ldap.initialize("ldaps://ldap.example.org")
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(&(objectClass=person)(uid={username}))")
    if not results:
        abort(401)
    dn, _attrs = results[0]
    conn.simple_bind_s(dn, password)
    session["dn"] = dn
    return {"ok": True}
