"""Auth0's previous Python API quickstart (auth0-python-api-samples, 00-Starter-Seed, on
python-jose), as published: `get_token_auth_header`, the `requires_auth` decorator (the JWKS read
on every request, the key picked by `kid`, `jwt.decode` with RS256, the audience and the issuer),
`requires_scope` on the unverified claims, and the `AuthError` handler. Differences, all to make it
run on today's Flask: the claims go to `flask.g` (Flask 3 has no `_request_ctx_stack`), CORS is
left out, `urllib.request` instead of `six.moves`, and the port comes from PORT.
"""

import json
import os
from functools import wraps
from urllib.request import urlopen

from flask import Flask, g, jsonify, request
from jose import jwt

AUTH0_DOMAIN = os.environ["AUTH0_DOMAIN"]
AUTH0_AUDIENCE = os.environ["AUTH0_AUDIENCE"]
ALGORITHMS = ["RS256"]
APP = Flask(__name__)


class AuthError(Exception):
    def __init__(self, error, status_code):
        super().__init__()
        self.error = error
        self.status_code = status_code


@APP.errorhandler(AuthError)
def handle_auth_error(ex):
    response = jsonify(ex.error)
    response.status_code = ex.status_code
    return response


def get_token_auth_header():
    """Obtains the access token from the Authorization Header"""
    auth = request.headers.get("Authorization", None)
    if not auth:
        raise AuthError(
            {"code": "authorization_header_missing", "description": "Authorization header is expected"}, 401
        )

    parts = auth.split()

    if parts[0].lower() != "bearer":
        raise AuthError(
            {"code": "invalid_header", "description": "Authorization header must start with Bearer"}, 401
        )
    elif len(parts) == 1:
        raise AuthError({"code": "invalid_header", "description": "Token not found"}, 401)
    elif len(parts) > 2:
        raise AuthError(
            {"code": "invalid_header", "description": "Authorization header must be Bearer token"}, 401
        )

    token = parts[1]
    return token


def requires_scope(required_scope):
    """Determines if the required scope is present in the access token"""
    token = get_token_auth_header()
    unverified_claims = jwt.get_unverified_claims(token)
    if unverified_claims.get("scope"):
        token_scopes = unverified_claims["scope"].split()
        for token_scope in token_scopes:
            if token_scope == required_scope:
                return True
    return False


def requires_auth(f):
    """Determines if the access token is valid"""

    @wraps(f)
    def decorated(*args, **kwargs):
        token = get_token_auth_header()
        jsonurl = urlopen("https://" + AUTH0_DOMAIN + "/.well-known/jwks.json")
        jwks = json.loads(jsonurl.read())
        try:
            unverified_header = jwt.get_unverified_header(token)
        except jwt.JWTError:
            raise AuthError(
                {"code": "invalid_header", "description": "Invalid header. Use an RS256 signed JWT Access Token"},
                401,
            )
        if unverified_header["alg"] == "HS256":
            raise AuthError(
                {"code": "invalid_header", "description": "Invalid header. Use an RS256 signed JWT Access Token"},
                401,
            )
        rsa_key = {}
        for key in jwks["keys"]:
            if key["kid"] == unverified_header["kid"]:
                rsa_key = {"kty": key["kty"], "kid": key["kid"], "use": key["use"], "n": key["n"], "e": key["e"]}
        if rsa_key:
            try:
                payload = jwt.decode(
                    token,
                    rsa_key,
                    algorithms=ALGORITHMS,
                    audience=AUTH0_AUDIENCE,
                    issuer="https://" + AUTH0_DOMAIN + "/",
                )
            except jwt.ExpiredSignatureError:
                raise AuthError({"code": "token_expired", "description": "token is expired"}, 401)
            except jwt.JWTClaimsError:
                raise AuthError(
                    {"code": "invalid_claims", "description": "incorrect claims, please check the audience and issuer"},
                    401,
                )
            except Exception:
                raise AuthError(
                    {"code": "invalid_header", "description": "Unable to parse authentication token."}, 401
                )

            g.current_user = payload
            return f(*args, **kwargs)
        raise AuthError({"code": "invalid_header", "description": "Unable to find appropriate key"}, 401)

    return decorated


@APP.route("/api/public")
def public():
    return jsonify(message="Hello from a public endpoint! You don't need to be authenticated to see this.")


@APP.route("/api/private")
@requires_auth
def private():
    return jsonify(message="Hello from a private endpoint! You need to be authenticated to see this.")


@APP.route("/api/private-scoped")
@requires_auth
def private_scoped():
    if requires_scope("read:messages"):
        return jsonify(message="Hello from a private endpoint! You need read:messages to see this.")
    raise AuthError({"code": "Unauthorized", "description": "You don't have access to this resource"}, 403)


if __name__ == "__main__":
    APP.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5085")), debug=False)
