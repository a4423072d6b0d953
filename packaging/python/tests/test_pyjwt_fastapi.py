"""The mock-idp wheel's pytest fixture against a FastAPI app that verifies tokens with PyJWT's
PyJWKClient: a good token, an expired one (the tenant's clock), key rotation, a JWKS outage
(faults), a user login, DPoP binding and a tenant TOML. Every request goes over HTTPS to the
tenant on 127.0.0.1; statuses and bodies are asserted exactly.
"""

import base64
import importlib.metadata
import json
import os
import subprocess
import sysconfig
import time
from pathlib import Path
from typing import Any, Dict

import pytest
from fastapi.testclient import TestClient

from mock_idp import ControlApiError, MockIdp, Tenant, find_binary, jwk_thumbprint, start

from app import make_app

HERE = Path(__file__).resolve().parent


def claims_of(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def get(app: Any, path: str, token: str) -> Any:
    return TestClient(app).get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_wheel_put_the_binary_on_path() -> None:
    binary = find_binary()
    assert binary == os.path.join(sysconfig.get_path("scripts"), "mock-idp")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout == f"mock-idp {importlib.metadata.version('mock-idp')}\n"


def test_fixture_env_and_ca(mock_idp: MockIdp) -> None:
    env = mock_idp.env()
    assert env["AUTH0_DOMAIN"] == mock_idp.domain
    assert env["AUTH0_DOMAIN"].startswith("localhost:")
    assert env["AUTH0_AUDIENCE"] == "https://my-flask-api"
    assert Path(env["AUTH0_CA_FILE"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert mock_idp.issuer == f"https://{env['AUTH0_DOMAIN']}/"
    # trust_ca (conftest.py) points the process at the tenant's CA.
    assert os.environ["SSL_CERT_FILE"] == env["AUTH0_CA_FILE"]
    assert os.environ["REQUESTS_CA_BUNDLE"] == env["AUTH0_CA_FILE"]


def test_good_token_and_scopes(mock_idp: MockIdp) -> None:
    app = make_app(mock_idp.env())
    token = mock_idp.token(scope="read:messages", claims={"https://example.com/tier": "gold"})
    assert claims_of(token)["https://example.com/tier"] == "gold"
    res = get(app, "/api/private-scoped", token)
    assert (res.status_code, res.json()) == (200, {"sub": "mock-test-client@clients"})
    res = get(app, "/api/private-scoped", mock_idp.token(scope="write:messages"))
    assert (res.status_code, res.json()) == (403, {"detail": "insufficient scope"})
    res = get(app, "/api/private", mock_idp.token(audience="https://someone-else"))
    assert (res.status_code, res.json()) == (401, {"detail": "Audience doesn't match"})
    assert res.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    # Another key (one the JWKS does not publish) signs a token the app must refuse.
    forged = mock_idp.token(signing={"key": "attacker"})
    assert get(app, "/api/private", forged).status_code == 401


def test_expired_token_from_the_tenant_clock(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    app = make_app(tenant.env())
    before = tenant.clock.get()["now"]
    assert tenant.clock.advance(-7200)["offset"] == -7200
    token = tenant.token(expires_in=3600)
    exp = claims_of(token)["exp"]
    assert before - 3600 - 5 <= exp <= before - 3600 + 5 < time.time()
    res = get(app, "/api/private", token)
    assert (res.status_code, res.json()) == (401, {"detail": "Signature has expired"})
    tenant.clock.advance(7200)
    res = get(app, "/api/private", tenant.token(expires_in=60))
    assert res.status_code == 200


def test_rotation(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    eager = make_app(tenant.env(), cooldown=0)  # refetches the JWKS on any unknown kid
    patient = make_app(tenant.env())  # PyJWKClient's default: at most every 30 s
    old = tenant.token()
    assert get(eager, "/api/private", old).status_code == 200
    assert get(patient, "/api/private", old).status_code == 200
    old_kid = tenant.keys.current()
    tenant.keys.rotate()
    new = tenant.token()
    assert json.loads(base64.urlsafe_b64decode(new.split(".")[0] + "==")).get("kid") != old_kid
    assert get(eager, "/api/private", new).status_code == 200
    res = get(patient, "/api/private", new)
    assert res.status_code == 401
    assert res.json()["detail"].startswith("Unable to find a signing key that matches")
    # Both apps fetched once, the eager one once more for the new kid.
    assert tenant.stats()["jwks_fetches"] == 3
    # The previous key stays published until revoked; then a fresh app refuses its tokens.
    assert get(make_app(tenant.env()), "/api/private", old).status_code == 200
    tenant.keys.revoke(old_kid)
    res = get(make_app(tenant.env()), "/api/private", old)
    assert res.status_code == 401
    assert res.json()["detail"].startswith("Unable to find a signing key that matches")


def test_jwks_outage(mock_idp_function: MockIdp) -> None:
    tenant = mock_idp_function
    token = tenant.token()
    tenant.faults.add("jwks", status=503)
    app = make_app(tenant.env())
    res = get(app, "/api/private", token)
    assert res.status_code == 503
    assert "503" in res.json()["detail"]
    tenant.faults.clear()
    assert get(app, "/api/private", token).status_code == 200
    # With the keys cached, an outage does not matter until the cache expires.
    tenant.faults.add("jwks", "drop_connection")
    assert get(app, "/api/private", token).status_code == 200
    paths = [r["path"] for r in tenant.journal()]
    assert paths.count("/.well-known/jwks.json") == 2
    # One failing call only: the next fetch succeeds.
    tenant.faults.clear()
    tenant.faults.add("jwks", status=500, next=1)
    fresh = make_app(tenant.env())
    assert get(fresh, "/api/private", token).status_code == 503
    assert get(fresh, "/api/private", token).status_code == 200


def test_user_login(mock_idp: MockIdp) -> None:
    tokens = mock_idp.login("user@example.com", scope="openid email read:messages")
    assert tokens["token_type"] == "Bearer"
    assert claims_of(tokens["id_token"])["email"] == "user@example.com"
    res = get(make_app(mock_idp.env()), "/api/private", tokens["access_token"])
    assert res.status_code == 200
    assert res.json()["sub"].startswith("auth0|")
    with pytest.raises(ControlApiError) as failed:
        mock_idp.login("user@example.com", password="wrong")
    # The login form again, with its error.
    assert failed.value.status == 400
    assert "Wrong email or password" in failed.value.body


def test_dpop_bound_token(mock_idp: MockIdp) -> None:
    token = mock_idp.token(dpop_key=True)
    jkt = claims_of(token)["cnf"]["jkt"]
    assert jkt == mock_idp.dpop_jkt()
    proof = mock_idp.proof("GET", "https://api.example/x", access_token=token)
    header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
    assert header["typ"] == "dpop+jwt"
    assert jwk_thumbprint(header["jwk"]) == jkt


def test_tenant_toml_and_a_client_without_the_fixture() -> None:
    config = str(HERE / "tenant.toml")
    with start(config=config, fixture_keys=True) as tenant:
        assert tenant.env()["AUTH0_AUDIENCE"] == "https://reports-api"
        tokens = tenant.login("ada@example.com")  # password and SPA read from the TOML
        assert claims_of(tokens["access_token"])["sub"] == "auth0|ada"
        # The same control API from a plain client, as a compose setup would use it.
        other = Tenant(tenant.base_url, tenant.admin_secret, tenant.ca_file,
                                connect_host="127.0.0.1")
        assert other.keys.current() == tenant.keys.current()
        wrong = Tenant(tenant.base_url, "not-the-secret-0123", tenant.ca_file)
        with pytest.raises(ControlApiError) as refused:
            wrong.keys.list()
        assert refused.value.status == 401
    assert tenant.process.returncode is not None
