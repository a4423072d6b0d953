"""The Auth0 Flask API quickstart's protected routes (auth0-api-python's ``ApiClient`` and the
quickstart's ``require_auth`` decorator, as published), built per test from the tenant's ``.env``
values. ``cache_ttl_seconds`` is the library's discovery and JWKS cache lifetime (default 600).
"""

import asyncio
from functools import wraps
from typing import Any, Callable, Dict

from auth0_api_python import ApiClient, ApiClientOptions
from auth0_api_python.errors import BaseAuthError
from flask import Flask, g, jsonify, request


def make_quickstart(env: Dict[str, str], **options: Any) -> Flask:
    app = Flask(__name__)
    api_client = ApiClient(
        ApiClientOptions(domain=env["AUTH0_DOMAIN"], audience=env["AUTH0_AUDIENCE"], **options)
    )

    def require_auth(f: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(f)
        def decorated_function(*args: Any, **kwargs: Any) -> Any:
            auth_header = request.headers.get("Authorization", "")
            if not auth_header.startswith("Bearer "):
                return jsonify({"error": "Missing or invalid authorization header"}), 401
            token = auth_header.split(" ")[1]
            try:
                g.user_claims = asyncio.run(api_client.verify_access_token(token))
                return f(*args, **kwargs)
            except BaseAuthError as e:
                return jsonify({"error": str(e)}), e.get_status_code(), e.get_headers()

        return decorated_function

    @app.route("/api/private")
    @require_auth
    def private() -> Any:
        return jsonify({"message": "This endpoint requires authentication", "user": g.user_claims.get("sub")})

    @app.route("/api/private-scoped")
    @require_auth
    def private_scoped() -> Any:
        if "read:messages" not in g.user_claims.get("scope", "").split():
            return jsonify({"error": "Insufficient permissions"}), 403
        return jsonify({
            "message": "Private scoped endpoint - read:messages permission granted",
            "user": g.user_claims.get("sub"),
        })

    return app
