"""Auth0's Python (Flask) API quickstart on authlib, as published: a `ResourceProtector` with the
quickstart's `Auth0JWTBearerTokenValidator` (validator.py, authlib's JWTBearerTokenValidator),
`@require_auth(None)` on /api/private and `@require_auth("read:messages")` on
/api/private-scoped. Differences, all to make it scriptable: the domain, audience and port come
from the environment, and CORS is left out. Errors and challenges are authlib's own.
"""

import os

from authlib.integrations.flask_oauth2 import ResourceProtector
from flask import Flask, jsonify

from validator import Auth0JWTBearerTokenValidator

require_auth = ResourceProtector()
validator = Auth0JWTBearerTokenValidator(os.environ["AUTH0_DOMAIN"], os.environ["AUTH0_AUDIENCE"])
require_auth.register_token_validator(validator)

APP = Flask(__name__)


@APP.route("/api/public")
def public():
    return jsonify(message="Hello from a public endpoint! You don't need to be authenticated to see this.")


@APP.route("/api/private")
@require_auth(None)
def private():
    return jsonify(message="Hello from a private endpoint! You need to be authenticated to see this.")


@APP.route("/api/private-scoped")
@require_auth("read:messages")
def private_scoped():
    return jsonify(message="Hello from a private endpoint! You need read:messages to see this.")


if __name__ == "__main__":
    APP.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5086")), debug=False)
