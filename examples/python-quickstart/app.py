"""The Auth0 Flask API quickstart (auth0-api-python), as published, for the conformance runner.

Routes and decorators are the quickstart's own: `require_auth` (Bearer via verify_access_token),
`require_auth_dpop` (Bearer or DPoP via verify_request), the read:messages check and the
admin:write `require_scope` decorator. Differences, all to make it scriptable: the port comes
from PORT, debug (and its reloader) is off, and the global `before_request` guard is left out
because, as published, it rejects every DPoP request before the DPoP route can see it.
"""

import asyncio
import os
from functools import wraps

from auth0_api_python import ApiClient, ApiClientOptions
from auth0_api_python.errors import BaseAuthError
from dotenv import load_dotenv
from flask import Flask, g, jsonify, request

load_dotenv()

app = Flask(__name__)

# DPoP in Allowed mode (the library's default, spelled out as in the quickstart).
api_client = ApiClient(
    ApiClientOptions(
        domain=os.getenv("AUTH0_DOMAIN"),
        audience=os.getenv("AUTH0_AUDIENCE"),
        dpop_enabled=True,
        dpop_required=False,
    )
)


def require_auth(f):
    @wraps(f)
    def decorated_function(*args, **kwargs):
        auth_header = request.headers.get("Authorization", "")

        if not auth_header.startswith("Bearer "):
            return jsonify({"error": "Missing or invalid authorization header"}), 401

        token = auth_header.split(" ")[1]

        try:
            claims = asyncio.run(api_client.verify_access_token(token))
            g.user_claims = claims
            return f(*args, **kwargs)
        except BaseAuthError as e:
            return jsonify({"error": str(e)}), e.get_status_code(), e.get_headers()

    return decorated_function


def require_auth_dpop(f):
    @wraps(f)
    def decorated_function(*args, **kwargs):
        headers = {
            "authorization": request.headers.get("Authorization", ""),
            "dpop": request.headers.get("DPoP", ""),
        }
        try:
            claims = asyncio.run(
                api_client.verify_request(
                    headers=headers, http_method=request.method, http_url=request.url
                )
            )
            g.user_claims = claims
            return f(*args, **kwargs)
        except BaseAuthError as e:
            return jsonify({"error": str(e)}), e.get_status_code(), e.get_headers()

    return decorated_function


def require_scope(required_scope):
    def decorator(f):
        @wraps(f)
        async def wrapper(*args, **kwargs):
            if not hasattr(g, "user_claims"):
                return jsonify({"error": "Unauthorized"}), 401
            scopes = g.user_claims.get("scope", "").split()
            if required_scope not in scopes:
                return jsonify({"error": "Insufficient permissions"}), 403
            return await f(*args, **kwargs)

        return wrapper

    return decorator


@app.route("/api/public", methods=["GET"])
def public():
    return jsonify({"message": "This endpoint is public"})


@app.route("/api/private", methods=["GET"])
@require_auth
def private():
    return jsonify(
        {"message": "This endpoint requires authentication", "user": g.user_claims.get("sub")}
    )


@app.route("/api/private-scoped", methods=["GET"])
@require_auth
def private_scoped():
    scopes = g.user_claims.get("scope", "").split()
    if "read:messages" not in scopes:
        return jsonify({"error": "Insufficient permissions"}), 403
    return jsonify(
        {
            "message": "Private scoped endpoint - read:messages permission granted",
            "user": g.user_claims.get("sub"),
        }
    )


@app.route("/api/dpop-protected")
@require_auth_dpop
def dpop_protected():
    return jsonify(
        {"message": "Successfully authenticated with DPoP or Bearer", "user": g.user_claims.get("sub")}
    )


@app.route("/api/admin")
@require_auth
@require_scope("admin:write")
async def admin_endpoint():
    return jsonify({"message": "Admin access granted"})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.getenv("PORT", "5000")), debug=False)
