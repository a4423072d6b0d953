"""The fixture against the Auth0 Flask API quickstart (auth0-api-python, unmodified; Flask's test
client in this process, the library fetching discovery and the JWKS over HTTPS from the tenant
on 127.0.0.1): a good token, an expired one (the tenant's clock), a rotation and a JWKS outage.
What it shows about the library: it never refetches the JWKS for an unknown kid while its cache
lives (600 s by default), and it answers a JWKS outage as an invalid token (401).
"""

from typing import Any

from mock_idp import MockIdp

from quickstart_app import make_quickstart


def get(app: Any, path: str, token: str) -> Any:
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_good_token_and_scopes(mock_idp: MockIdp) -> None:
    app = make_quickstart(mock_idp.env())
    res = get(app, "/api/private-scoped", mock_idp.token(scope="read:messages"))
    assert (res.status_code, res.get_json()) == (200, {
        "message": "Private scoped endpoint - read:messages permission granted",
        "user": "mock-test-client@clients",
    })
    res = get(app, "/api/private-scoped", mock_idp.token(scope="write:messages"))
    assert (res.status_code, res.get_json()) == (403, {"error": "Insufficient permissions"})
    # Signed by a key the JWKS does not publish, under the current key's kid.
    res = get(app, "/api/private", mock_idp.token(signing={"key": "attacker"}))
    assert (res.status_code, res.get_json()) == (401, {"error": "Signature verification failed: bad_signature: "})


def test_expired_token_from_the_tenant_clock(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    app = make_quickstart(tenant.env())
    tenant.clock.advance(-7200)
    res = get(app, "/api/private", tenant.token(expires_in=3600))
    assert (res.status_code, res.get_json()) == (401, {"error": "Token is expired"})


def test_rotation(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    app = make_quickstart(tenant.env())
    assert get(app, "/api/private", tenant.token()).status_code == 200
    tenant.keys.rotate()
    res = get(app, "/api/private", tenant.token())
    assert (res.status_code, res.get_json()) == (401, {"error": "No matching key found in JWKS"})
    # Without the cache it fetches discovery and the JWKS again and accepts the new key.
    res = get(make_quickstart(tenant.env(), cache_ttl_seconds=0), "/api/private", tenant.token())
    assert res.status_code == 200
    stats = tenant.stats()
    assert (stats["discovery_fetches"], stats["jwks_fetches"]) == (2, 2)


def test_jwks_outage(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    tenant.faults.add("jwks", status=503)
    app = make_quickstart(tenant.env())
    res = get(app, "/api/private", tenant.token())
    assert res.status_code == 401
    assert res.get_json()["error"].startswith("Failed to fetch JWKS: Server error '503 Service Unavailable'")
    tenant.faults.clear()
    assert get(app, "/api/private", tenant.token()).status_code == 200
