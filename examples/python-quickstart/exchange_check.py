"""auth0-api-python 1.0.0b10's token-exchange helpers against mock-idp (see exchange.sh).

Each check states what our Rust TokenExchangeClient answers for the same call (its tests in
oauth2-jwt-bearer/src/tests/exchange.rs and tests/it/upstream.rs), and compares.
"""
import asyncio
import base64
import json
import os
import sys

from auth0_api_python import ApiClient, ApiClientOptions
from auth0_api_python.errors import ApiError, BaseAuthError

DOMAIN = os.environ["DOMAIN"]
ALICE = os.environ["ALICE"]
MACHINE = os.environ["MACHINE"]
PROFILE = "urn:mock-idp:tenant-access-token"
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    failures += 0 if ok else 1


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def error_of(coro):
    try:
        await coro
    except BaseAuthError as e:
        status = e.status_code if isinstance(e, ApiError) else e.get_status_code()
        code = e.code if isinstance(e, ApiError) else e.get_error_code()
        return status, code, str(e)
    return None


async def main():
    api = ApiClient(ApiClientOptions(
        domain=DOMAIN, audience="https://my-flask-api",
        client_id="flask-api-client", client_secret="flask-api-secret"))

    r = await api.get_token_by_exchange_profile(
        ALICE, PROFILE, audience="https://upstream-api", scope="read:data nope")
    c = claims(r["access_token"])
    check("exchange by profile: token for the same user",
          c["sub"] == "auth0|alice" and c["aud"] == "https://upstream-api"
          and c["iss"] == f"https://{DOMAIN}/", c)
    check("exchange by profile: result shape (scope narrowed to the API's, Bearer, access_token type)",
          r["scope"] == "read:data" and r["token_type"] == "Bearer" and r["expires_in"] == 86400
          and r["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
          and r["expires_at"] - r["expires_in"] > 0
          and set(r) == {"access_token", "expires_in", "expires_at", "scope", "token_type", "issued_token_type"}, r)

    r = await api.get_token_on_behalf_of(ALICE, "https://upstream-api", scope="read:data")
    c = claims(r["access_token"])
    check("on behalf of: same user, API as actor",
          c["sub"] == "auth0|alice" and c["act"] == {"sub": "flask-api-client"}, c)
    from auth0_api_python import get_current_actor, get_delegation_chain
    check("act helpers", get_current_actor(c) == "flask-api-client"
          and get_delegation_chain(c) == ["flask-api-client"])

    r = await api.get_access_token_for_connection(
        {"connection": "google-oauth2", "access_token": ALICE})
    check("token vault: the user's Google token",
          r["access_token"] == "ya29.alice-google-token"
          and r["scope"] == "https://www.googleapis.com/auth/calendar.readonly", r)

    # Errors: (status, code, message) exactly as our ExchangeError's status(), code(), Display.
    cases = [
        ("input: blank", api.get_token_by_exchange_profile("   ", PROFILE),
         (400, "get_token_by_exchange_profile_error", "subject_token cannot be blank or whitespace")),
        ("input: whitespace", api.get_token_by_exchange_profile(" " + ALICE, PROFILE),
         (400, "get_token_by_exchange_profile_error", "subject_token must not include leading or trailing whitespace")),
        ("input: Bearer prefix", api.get_token_by_exchange_profile("bearer " + ALICE, PROFILE),
         (400, "get_token_by_exchange_profile_error", "subject_token must not include the 'Bearer ' prefix (case-insensitive check)")),
        ("input: reserved extra", api.get_token_by_exchange_profile(ALICE, PROFILE, extra={"Scope": "x"}),
         (400, "get_token_by_exchange_profile_error", "Parameter 'Scope' is reserved and cannot be overridden")),
        ("input: 21 values", api.get_token_by_exchange_profile(ALICE, PROFILE, extra={"ids": [str(i) for i in range(21)]}),
         (400, "get_token_by_exchange_profile_error", "Parameter 'ids' exceeds maximum array size of 20")),
        ("tenant: machine token OBO", api.get_token_on_behalf_of(MACHINE, "https://upstream-api"),
         (400, "invalid_request", "The subject_token does not represent a user")),
        ("tenant: unknown profile", api.get_token_by_exchange_profile(ALICE, "urn:example:unknown"),
         (400, "invalid_request", "No Token Exchange Profile matches the subject_token_type")),
        ("tenant: ungranted scope", api.get_token_on_behalf_of(ALICE, "https://upstream-api", scope="write:data"),
         (403, "access_denied", "Client has not been granted scopes: write:data")),
        ("tenant: no connected account", api.get_access_token_for_connection({"connection": "github", "access_token": ALICE}),
         (401, "federated_connection_refresh_token_not_found", "Federated connection Refresh Token not found.")),
    ]
    for name, coro, want in cases:
        got = await error_of(coro)
        check(name, got == want, f"got {got}, want {want}")
    return failures


sys.exit(1 if asyncio.run(main()) else 0)
