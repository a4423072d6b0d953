"""auth0-python against mock-idp serve: tokens and Auth0's error codes, through the SDK's own calls;
then auth0-api-python (the quickstart's verifier) accepts the token it got."""
import asyncio
import base64
import json
import os
import sys

from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error

DOMAIN = os.environ["DOMAIN"]
API = "https://my-flask-api"
failures = 0


def check(name, ok, detail=""):
    global failures
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'} auth0-python: {name}{'' if ok else ': ' + detail}")


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def refusal(name, call, status, code, description=None):
    try:
        got = call()
    except Auth0Error as e:
        ok = e.status_code == status and e.error_code == code
        ok = ok and (description is None or e.message == description)
        check(name, ok, f"got {e.status_code} {e.error_code} {e.message!r}")
    else:
        check(name, False, f"no error: {got}")


app = GetToken(DOMAIN, "mock-test-client", client_secret="mock-test-secret")
try:
    tok = app.client_credentials(API)  # posts "organization": null, as it always does
    c = claims(tok["access_token"])
    check(
        "client_credentials gets a token",
        tok["token_type"] == "Bearer" and c["aud"] == API and c["iss"] == f"https://{DOMAIN}/",
        json.dumps(tok)[:200],
    )
except Auth0Error as e:
    tok = None
    check("client_credentials gets a token", False, f"{e.status_code} {e.error_code} {e.message}")

if tok is not None:
    from auth0_api_python import ApiClient, ApiClientOptions

    verifier = ApiClient(ApiClientOptions(domain=DOMAIN, audience=API))
    try:
        verified = asyncio.run(verifier.verify_access_token(tok["access_token"]))
        check("auth0-api-python verifies that token (JWKS with x5c)", verified["sub"] == "mock-test-client@clients", str(verified))
    except Exception as e:  # noqa: BLE001 - any refusal is the failure being reported
        check("auth0-api-python verifies that token (JWKS with x5c)", False, f"{type(e).__name__}: {e}")

wrong = GetToken(DOMAIN, "mock-test-client", client_secret="wrong")
refusal("wrong secret -> 401 access_denied", lambda: wrong.client_credentials(API), 401, "access_denied", "Unauthorized")
refusal(
    "unknown audience -> 403 access_denied",
    lambda: app.client_credentials("https://unknown-api"),
    403,
    "access_denied",
    "Service not enabled within domain: https://unknown-api",
)
# The SDK's client_credentials takes no scope; its own authenticated_post sends one.
refusal(
    "ungranted scope -> 403 access_denied",
    lambda: app.authenticated_post(
        f"https://{DOMAIN}/oauth/token",
        data={"client_id": app.client_id, "audience": API, "grant_type": "client_credentials", "scope": "delete:everything"},
    ),
    403,
    "access_denied",
    "Client has not been granted scopes: delete:everything",
)
refusal(
    "password grant on an M2M app -> 403 unauthorized_client",
    lambda: app.login("user@example.com", "pw", grant_type="password", audience=API),
    403,
    "unauthorized_client",
    "Grant type 'password' not allowed for the client.",
)

# Resource Owner Password, as Auth0's docs recommend for automated tests, against a tenant with a
# Default Directory (password-tenant.toml).
PASSWORD_DOMAIN = os.environ.get("PASSWORD_DOMAIN")
if PASSWORD_DOMAIN:
    ropg = GetToken(PASSWORD_DOMAIN, "ropg-client", client_secret="ropg-secret")
    for grant, realm in (("password", None), ("http://auth0.com/oauth/grant-type/password-realm", "Username-Password-Authentication")):
        name = f"login ({grant.rsplit('/', 1)[-1]}) gets the user's tokens"
        try:
            tok = ropg.login(
                "user@example.com", "Passw0rd!", scope="openid read:messages", realm=realm,
                audience=API, grant_type=grant, forwarded_for="203.0.113.7",
            )
            c = claims(tok["access_token"])
            check(
                name,
                c["gty"] == "password" and c["permissions"] == ["read:messages"] and "id_token" in tok
                and claims(tok["id_token"])["sub"] == c["sub"],
                json.dumps(c),
            )
        except Auth0Error as e:
            check(name, False, f"{e.status_code} {e.error_code} {e.message}")
    refusal(
        "wrong password -> 403 invalid_grant",
        lambda: ropg.login("user@example.com", "nope", realm="Username-Password-Authentication"),
        403,
        "invalid_grant",
        "Wrong email or password.",
    )
    refusal(
        "blocked user -> 401 unauthorized",
        lambda: ropg.login("blocked@example.com", "Passw0rd!", realm="Username-Password-Authentication"),
        401,
        "unauthorized",
        "user is blocked",
    )
sys.exit(1 if failures else 0)
