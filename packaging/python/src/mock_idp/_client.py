"""A client for a running tenant's control API (``mock-idp/openapi/control.json``).

It speaks only the documented control API over HTTPS with the operator's admin secret, plus the
tenant's public OAuth endpoints for :meth:`Tenant.login`, so it works against any ``mock-idp
serve`` (started by the pytest fixture, by docker-compose, or by hand). Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import ssl
import sys
import urllib.parse
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, TypedDict, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons: login() then needs its arguments spelled out
    tomllib = None


#: Where a fault applies.
Endpoint = Literal["discovery", "jwks", "token"]

#: The default tenant's user and the application users log in to (``mock-idp/README.md``).
DEFAULT_USER_EMAIL = "user@example.com"
DEFAULT_USER_PASSWORD = "Passw0rd!"
DEFAULT_LOGIN_CLIENT_ID = "mock-spa-client"
DEFAULT_LOGIN_REDIRECT_URI = "http://localhost:3000/callback"


class ControlApiError(Exception):
    """The control API (or a step of a login) answered with an unexpected status.

    ``status`` and ``body`` hold the answer, so a test can assert on them.
    """

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: {status} {body[:500]}")
        self.status = status
        self.body = body


class LoginTokens(TypedDict, total=False):
    """What ``/oauth/token`` answered at the end of a login."""

    access_token: str
    id_token: str
    refresh_token: str
    scope: str
    expires_in: int
    token_type: str


class RecordedRequest(TypedDict):
    """One request the tenant received (``GET /control/journal``)."""

    method: str
    path: str
    query: Optional[str]
    headers: List[List[str]]
    body: str


class Env(TypedDict):
    """The ``.env`` values ``mock-idp init`` writes, for the application under test."""

    AUTH0_DOMAIN: str
    AUTH0_AUDIENCE: str
    AUTH0_CA_FILE: str


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an EC, RSA or OKP public JWK (``cnf.jkt``)."""
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    names = members[str(jwk["kty"])]
    canonical = json.dumps({k: jwk[k] for k in names}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Tenant:
    """The control API of a running tenant, and its public facts.

    ``base_url`` is ``https://HOST:PORT`` (no trailing slash); ``admin_secret`` is what ``serve``
    printed or was given (``--admin-secret`` / ``MOCK_IDP_ADMIN_SECRET``); ``ca_file`` is the CA
    to trust (``mock-idp ca``). ``connect_host`` is where to connect when the issuer's host name
    does not resolve here (default: the issuer's host). ``config`` is the tenant TOML it runs,
    if any: :meth:`login` reads users and applications from it.
    """

    def __init__(
        self,
        base_url: str,
        admin_secret: str,
        ca_file: Optional[str] = None,
        *,
        audience: str = "https://my-flask-api",
        connect_host: Optional[str] = None,
        config: Optional[str] = None,
        timeout: float = 30.0,
    ) -> None:
        url = urllib.parse.urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"{base_url!r}: expected https://HOST:PORT")
        self.base_url = base_url.rstrip("/")
        self.admin_secret = admin_secret
        self.ca_file = ca_file
        self.audience = audience
        self.config = config
        self._scheme = url.scheme
        self._host = connect_host or url.hostname
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._timeout = timeout
        self._ssl: Optional[ssl.SSLContext] = None
        if url.scheme == "https":
            self._ssl = ssl.create_default_context(cafile=ca_file)
            # The certificate names the issuer's host, whatever address we connect to.
            self._server_hostname = url.hostname
        self.keys = Keys(self)
        self.clock = Clock(self)
        self.faults = Faults(self)

    # -- facts ------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The ``iss`` of its tokens: ``https://HOST:PORT/``."""
        return self.base_url + "/"

    @property
    def domain(self) -> str:
        """``HOST:PORT``, what ``AUTH0_DOMAIN`` holds."""
        return urllib.parse.urlsplit(self.base_url).netloc

    @property
    def jwks_uri(self) -> str:
        """The JWKS document's URL."""
        return self.base_url + "/.well-known/jwks.json"

    def env(self) -> Env:
        """``AUTH0_DOMAIN``, ``AUTH0_AUDIENCE`` and ``AUTH0_CA_FILE``, as ``mock-idp init`` writes."""
        return {
            "AUTH0_DOMAIN": self.domain,
            "AUTH0_AUDIENCE": self.audience,
            "AUTH0_CA_FILE": self.ca_file or "",
        }

    # -- minting ----------------------------------------------------------------------------

    def token(
        self,
        *,
        scope: Optional[str] = None,
        claims: Optional[Mapping[str, Any]] = None,
        expires_in: Optional[int] = None,
        dpop_key: Union[str, bool, None] = None,
        audience: Optional[str] = None,
        sub: Optional[str] = None,
        **spec: Any,
    ) -> str:
        """An access token signed by the tenant's current key (``POST /control/tokens``).

        ``scope`` (space-separated), ``claims`` (set or override), ``expires_in`` (seconds;
        negative: already expired), ``audience``, ``sub``; ``dpop_key`` binds it to a DPoP key
        (``cnf.jkt``): a PKCS#8 PEM P-256 key, or ``True`` for the tenant's fixed test key that
        :meth:`proof` uses by default. Any other ``TokenSpec`` field goes in ``spec``
        (``unset_claims=["iat"]``, ``signing={"key": "attacker"}``, ``dialect=...``).
        """
        return str(self.mint(scope=scope, claims=claims, expires_in=expires_in,
                             dpop_key=dpop_key, audience=audience, sub=sub, **spec)["token"])

    def mint(self, *, dpop_key: Union[str, bool, None] = None, **spec: Any) -> Dict[str, Any]:
        """Like :meth:`token`, but the whole answer: ``{"token", "header", "claims"}``."""
        body = {k: v for k, v in spec.items() if v is not None}
        if dpop_key is not None and dpop_key is not False:
            body["jkt"] = self.dpop_jkt(None if dpop_key is True else dpop_key)
        return dict(self._json("POST", "/control/tokens", body))

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: Optional[str] = None,
        dpop_key: Optional[str] = None,
        nonce: Optional[str] = None,
        **spec: Any,
    ) -> str:
        """A DPoP proof for ``method url`` (``POST /control/proofs``), bound to ``access_token``
        (``ath``) when given, signed with ``dpop_key`` (PKCS#8 PEM P-256) or the tenant's fixed
        test key. Other ``ProofSpec`` fields go in ``spec`` (``iat=...``, ``jti=...``)."""
        details = {k: v for k, v in spec.items() if v is not None}
        if access_token is not None:
            details["access_token"] = access_token
        if nonce is not None:
            details["nonce"] = nonce
        body: Dict[str, Any] = {"method": method, "url": url}
        if dpop_key is not None:
            body["key_pem"] = dpop_key
        if details:
            body["spec"] = details
        return str(self._json("POST", "/control/proofs", body)["proof"])

    def dpop_jkt(self, dpop_key: Optional[str] = None) -> str:
        """The JWK thumbprint of a DPoP key (the tenant's fixed test key when ``None``)."""
        body: Dict[str, Any] = {"method": "GET", "url": self.base_url + "/"}
        if dpop_key is not None:
            body["key_pem"] = dpop_key
        answer = self._json("POST", "/control/proofs", body)
        if "jkt" in answer:
            return str(answer["jkt"])
        header = json.loads(_b64decode(str(answer["proof"]).split(".")[0]))
        return jwk_thumbprint(header["jwk"])

    # -- the browser flow -------------------------------------------------------------------

    def login(
        self,
        email: str = DEFAULT_USER_EMAIL,
        *,
        password: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        scope: str = "openid profile email offline_access",
        audience: Optional[str] = "",
    ) -> LoginTokens:
        """A user's tokens, got the way a browser gets them: ``/authorize`` with PKCE, the
        login form, the code exchange at ``/oauth/token``.

        Defaults come from the tenant TOML (the user's password, the first application with
        the authorization_code grant and a callback) or, without one, the default tenant's
        ``user@example.com`` and ``mock-spa-client``. ``audience=""`` asks for the tenant's
        audience; ``None`` for none (a token for ``/userinfo`` only).
        """
        user, app = _login_defaults(self.config, email, client_id)
        password = password if password is not None else user.get("password", DEFAULT_USER_PASSWORD)
        client_id = client_id or app.get("client_id", DEFAULT_LOGIN_CLIENT_ID)
        if client_secret is None and app.get("app_type", "") != "spa":
            client_secret = app.get("client_secret") or None
        redirect_uri = redirect_uri or (app.get("callbacks") or [DEFAULT_LOGIN_REDIRECT_URI])[0]
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(16)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        if audience is not None:
            query["audience"] = audience or self.audience
        status, headers, body = self._request("GET", "/authorize?" + urllib.parse.urlencode(query))
        location = _redirect(status, headers, body, "GET", "/authorize")
        if location.startswith("/u/login"):
            tx = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("state", [""])[0]
            cookies = "; ".join(
                v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"
            )
            form = urllib.parse.urlencode({"state": tx, "username": email, "password": password})
            status, headers, body = self._request(
                "POST",
                "/u/login",
                form.encode(),
                {"content-type": "application/x-www-form-urlencoded", "cookie": cookies},
                auth=False,
            )
            location = _redirect(status, headers, body, "POST", "/u/login")
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        if params.get("state") != [state] or "code" not in params:
            raise ControlApiError("GET", "/authorize", status, f"callback without a code: {location}")
        exchange = {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": params["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        if client_secret:
            exchange["client_secret"] = client_secret
        status, _, body = self._request(
            "POST",
            "/oauth/token",
            urllib.parse.urlencode(exchange).encode(),
            {"content-type": "application/x-www-form-urlencoded"},
            auth=False,
        )
        if status != 200:
            raise ControlApiError("POST", "/oauth/token", status, body.decode(errors="replace"))
        tokens: LoginTokens = json.loads(body)
        return tokens

    # -- observing --------------------------------------------------------------------------

    def journal(self, limit: Optional[int] = None) -> List[RecordedRequest]:
        """The requests the tenant received, oldest first (control calls not included)."""
        path = "/control/journal" + (f"?limit={int(limit)}" if limit is not None else "")
        return list(self._json("GET", path))

    def clear_journal(self) -> None:
        """Forget the received requests."""
        self._json("DELETE", "/control/journal")

    def stats(self) -> Dict[str, int]:
        """Calls per endpoint since start (``GET /control/stats``)."""
        return dict(self._json("GET", "/control/stats"))

    def reset(self) -> None:
        """No faults, overrides, upstream, nonce or journal; the real clock (keys stay)."""
        self._json("POST", "/control/reset")

    # -- HTTP -------------------------------------------------------------------------------

    def _json(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if data is not None else {}
        status, _, answer = self._request(method, path, data, headers)
        if not 200 <= status < 300:
            raise ControlApiError(method, path, status, answer.decode(errors="replace"))
        return json.loads(answer) if answer.strip() else None

    def _request(
        self,
        method: str,
        path: str,
        body: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
        *,
        auth: bool = True,
    ) -> Tuple[int, List[Tuple[str, str]], bytes]:
        conn: http.client.HTTPConnection
        if self._ssl is not None:
            conn = _HTTPSConnection(self._host, self._port, self._server_hostname,
                                    context=self._ssl, timeout=self._timeout)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        sent = dict(headers or {})
        if auth:
            sent["authorization"] = f"Bearer {self.admin_secret}"
        try:
            conn.request(method, path, body=body, headers=sent)
            res = conn.getresponse()
            return res.status, res.getheaders(), res.read()
        finally:
            conn.close()


class Keys:
    """Signing keys: ``/api/v2/keys/signing`` (Auth0's Management API shape) and ``/control/keys``."""

    def __init__(self, tenant: Tenant) -> None:
        self._t = tenant

    def list(self) -> List[Dict[str, Any]]:
        """The signing keys, with ``kid``, ``current``, ``next``, ``previous``, ``revoked``."""
        return list(self._t._json("GET", "/api/v2/keys/signing"))

    def rotate(self) -> Dict[str, Any]:
        """Rotate: the next key signs, the current one becomes previous (still published)."""
        return dict(self._t._json("POST", "/api/v2/keys/signing/rotate"))

    def revoke(self, kid: str) -> Dict[str, Any]:
        """Revoke the previous key: it leaves the JWKS."""
        return dict(self._t._json("PUT", f"/api/v2/keys/signing/{urllib.parse.quote(kid)}/revoke"))

    def publish_next(self) -> Dict[str, Any]:
        """Publish a next key in the JWKS that does not sign yet."""
        return dict(self._t._json("POST", "/control/keys/publish-next"))

    def retire(self, kid: str) -> None:
        """Remove any key from the JWKS."""
        self._t._json("POST", f"/control/keys/{urllib.parse.quote(kid)}/retire")

    def current(self) -> str:
        """The ``kid`` that signs now."""
        return next(str(k["kid"]) for k in self.list() if k.get("current"))


class Clock:
    """The tenant's virtual clock (``/control/clock``): ``iat``, ``exp`` and code lifetimes follow it."""

    def __init__(self, tenant: Tenant) -> None:
        self._t = tenant

    def get(self) -> Dict[str, Any]:
        """``{"now", "offset", "frozen"}``."""
        return dict(self._t._json("GET", "/control/clock"))

    def advance(self, seconds: int) -> Dict[str, Any]:
        """Move the clock by ``seconds`` (negative: back)."""
        return self._change({"advance": int(seconds)})

    def set(self, unix: int) -> Dict[str, Any]:
        """Set the clock to a Unix time."""
        return self._change({"set": int(unix)})

    def freeze(self, frozen: bool = True) -> Dict[str, Any]:
        """Stop (or restart) the clock."""
        return self._change({"freeze": frozen})

    def _change(self, body: Dict[str, Any]) -> Dict[str, Any]:
        return dict(self._t._json("POST", "/control/clock", body))


class Faults:
    """Faults on ``discovery``, ``jwks`` or ``token`` (``/control/faults``)."""

    def __init__(self, tenant: Tenant) -> None:
        self._t = tenant

    def add(
        self,
        endpoint: Endpoint,
        fault: Union[str, Mapping[str, Any], None] = None,
        *,
        status: Optional[int] = None,
        delay_ms: Optional[int] = None,
        next: Optional[int] = None,
        call: Optional[int] = None,
    ) -> None:
        """Make ``endpoint`` fail: ``status=503``, ``delay_ms=2000``, or ``fault`` as the control
        API spells it (``"malformed_body"``, ``"drop_connection"``, ``{"respond": ...}``);
        always, for the ``next`` N calls, or on ``call`` N only."""
        if fault is None:
            if status is not None:
                fault = {"status": int(status)}
            elif delay_ms is not None:
                fault = {"delay_ms": int(delay_ms)}
            else:
                raise ValueError("faults.add: give status=, delay_ms= or a fault")
        when: Union[str, Dict[str, int]] = "always"
        if next is not None:
            when = {"next": int(next)}
        elif call is not None:
            when = {"call": int(call)}
        self._t._json("POST", "/control/faults", {"endpoint": endpoint, "fault": fault, "when": when})

    def list(self) -> List[Dict[str, Any]]:
        """The faults in force."""
        return list(self._t._json("GET", "/control/faults"))

    def clear(self) -> None:
        """Remove every fault."""
        self._t._json("DELETE", "/control/faults")


class _HTTPSConnection(http.client.HTTPSConnection):
    """Connects to ``host`` but checks the certificate against ``server_hostname``."""

    def __init__(self, host: str, port: int, server_hostname: Optional[str], **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._server_hostname = server_hostname

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=self._server_hostname or self.host
        )


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _redirect(status: int, headers: List[Tuple[str, str]], body: bytes, method: str, path: str) -> str:
    for k, v in headers:
        if k.lower() == "location" and status in (302, 303):
            return v
    raise ControlApiError(method, path, status, body.decode(errors="replace"))


def _login_defaults(
    config: Optional[str], email: str, client_id: Optional[str]
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The user and login application from the tenant TOML, as ``MockTenant::login`` picks them."""
    if config is None or tomllib is None or not os.path.exists(config):
        return {}, {}
    with open(config, "rb") as f:
        doc = tomllib.load(f)
    user: Dict[str, Any] = next((u for u in doc.get("users", []) if u.get("email") == email), {})
    app: Dict[str, Any] = next(
        (
            a
            for a in doc.get("applications", [])
            if (client_id is None or a.get("client_id") == client_id)
            and a.get("callbacks")
            and a.get("app_type", "non_interactive") != "non_interactive"
        ),
        {},
    )
    return user, app
