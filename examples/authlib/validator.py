"""Auth0's JWT bearer token validator for authlib, as its Python API quickstart publishes it
(auth0-python-api-samples, 00-Starter-Seed/validator.py): the tenant's JWKS read once, when the
validator is built, and `exp`, `aud` and `iss` essential.

One change: the key set is imported with joserfc's `KeySet.import_key_set`, as authlib 1.9 asks
(authlib.jose is deprecated). As published, with authlib.jose's `JsonWebKey.import_key_set`,
authlib 1.9.6 answers every token with a 500: its validator decodes with joserfc, and
`import_any_key` converts authlib.jose's single keys but passes its KeySet through, which
joserfc's `guess_key` refuses ("ValueError: Invalid key")."""

import json
from urllib.request import urlopen

from authlib.oauth2.rfc7523 import JWTBearerTokenValidator
from joserfc.jwk import KeySet


class Auth0JWTBearerTokenValidator(JWTBearerTokenValidator):
    def __init__(self, domain, audience):
        issuer = f"https://{domain}/"
        jsonurl = urlopen(f"{issuer}.well-known/jwks.json")
        public_key = KeySet.import_key_set(json.loads(jsonurl.read()))
        super(Auth0JWTBearerTokenValidator, self).__init__(public_key)
        self.claims_options = {
            "exp": {"essential": True},
            "aud": {"essential": True, "value": audience},
            "iss": {"essential": True, "value": issuer},
        }
