"""The unmodified PyPI auth0-python ManagementClient (and GetToken) against `mock-idp serve`:
one PASS/FAIL line per check, exit 1 on any FAIL."""
import base64
import json
import os
import sys
import time

from auth0.authentication import GetToken
from auth0.management import ManagementClient
from auth0.management.core.api_error import ApiError

domain = os.environ["DOMAIN"]
suffix = format(int(time.time() * 1000), "x")
failed = False


def check(name, ok, detail=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'} auth0-python: {name}" + ("" if ok else f" ({detail})"))
    failed = failed or not ok


def claims(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def status(call):
    try:
        call()
        return 200, None
    except ApiError as e:
        return e.status_code, e.body


m = ManagementClient(domain=domain, client_id="mgmt-client", client_secret="mgmt-secret")

audience = f"https://py-orders-{suffix}.example"
m.resource_servers.create(identifier=audience, name="Orders",
                          scopes=[{"value": "read:orders", "description": "Read orders"}],
                          enforce_policies=True, token_dialect="access_token_authz")
app = m.clients.create(name=f"py-worker-{suffix}", app_type="non_interactive")
m.client_grants.create(client_id=app.client_id, audience=audience, scope=["read:orders"])
cc = GetToken(domain, app.client_id, client_secret=app.client_secret).client_credentials(audience)
c = claims(cc["access_token"])
check("an M2M application created over the API gets a token with its grant",
      c.get("scope") == "read:orders" and c.get("azp") == app.client_id, c)

email = f"py-ada-{suffix}@example.com"
user = m.users.create(connection="Username-Password-Authentication", email=email, password="Analytical-1843")
role = m.roles.create(name=f"py-reader-{suffix}", description="Reads orders")
m.roles.permissions.add(role.id, permissions=[{"resource_server_identifier": audience, "permission_name": "read:orders"}])
m.users.roles.assign(user.user_id, roles=[role.id])
login = GetToken(domain, "ropg-client", client_secret="ropg-secret").login(
    username=email, password="Analytical-1843", realm="Username-Password-Authentication", audience=audience, scope="openid read:orders")
perms = claims(login["access_token"]).get("permissions")
check("a role assigned over the API shows in the user's next token", perms == ["read:orders"], perms)

for i in range(3):
    m.users.create(connection="Username-Password-Authentication", email=f"py-p{i}-{suffix}@example.com", password="pw-123456")
page = m.users.list(page=1, per_page=2, include_totals=True)
items = list(page.items or [])
check("users.list pages with include_totals", len(items) == 2, len(items))
found = m.users.list_users_by_email(email=email)
check("users-by-email finds the user", len(found) == 1 and found[0].user_id == user.user_id, found)

s, body = status(lambda: m.users.get("auth0|nobody"))
check("404 inexistent user", s == 404 and body.get("errorCode") == "inexistent_user", (s, body))
s, body = status(lambda: m.users.create(connection="Username-Password-Authentication", email=email, password="x-123456"))
check("409 existing user", s == 409 and body.get("message") == "The user already exists.", (s, body))
s, body = status(lambda: m.users.create(connection="google-oauth2", email=f"x-{suffix}@example.com", password="x-123456"))
check("400 bad payload", s == 400 and body.get("errorCode") == "inexistent_connection", (s, body))
reader = ManagementClient(domain=domain, client_id="reader-client", client_secret="reader-secret")
s, body = status(lambda: reader.users.create(connection="Username-Password-Authentication", email=f"r-{suffix}@example.com", password="pw-123456"))
check("403 insufficient scope", s == 403 and body.get("errorCode") == "insufficient_scope", (s, body))
forged = ManagementClient(domain=domain, token="not-a-token")
s, body = status(lambda: list(forged.users.list().items or []))
check("401 bad token", s == 401 and body.get("statusCode") == 401, (s, body))

sys.exit(1 if failed else 0)
