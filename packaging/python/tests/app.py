"""The API under test: FastAPI with PyJWT's ``PyJWKClient``, as PyJWT's documentation shows it
("Retrieve RSA signing keys from a JWKS endpoint"), configured from the ``.env`` values the
tenant gives (``AUTH0_DOMAIN``, ``AUTH0_AUDIENCE``). It trusts the tenant's CA through
``SSL_CERT_FILE``, which the fixture sets (``trust_ca``). A JWKS it cannot fetch is a 503; any
other verification failure a 401 with a Bearer challenge; a missing scope a 403.
"""

from typing import Any, Dict

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


def make_app(env: Dict[str, str], cooldown: float = 30.0) -> FastAPI:
    """A fresh app (and a fresh JWKS cache); ``cooldown`` is PyJWKClient's ``cooldown_duration``."""
    issuer = f"https://{env['AUTH0_DOMAIN']}/"
    jwks = jwt.PyJWKClient(f"{issuer}.well-known/jwks.json", cooldown_duration=cooldown)
    bearer = HTTPBearer()
    app = FastAPI()

    def claims(creds: HTTPAuthorizationCredentials = Depends(bearer)) -> Dict[str, Any]:
        try:
            key = jwks.get_signing_key_from_jwt(creds.credentials)
            return jwt.decode(creds.credentials, key.key, algorithms=["RS256"],
                              audience=env["AUTH0_AUDIENCE"], issuer=issuer)
        except jwt.PyJWKClientConnectionError as e:
            raise HTTPException(status_code=503, detail=str(e))
        except (jwt.PyJWTError, jwt.PyJWKClientError) as e:
            raise HTTPException(status_code=401, detail=str(e),
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

    @app.get("/api/private")
    def private(c: Dict[str, Any] = Depends(claims)) -> Dict[str, Any]:
        return {"sub": c["sub"]}

    @app.get("/api/private-scoped")
    def private_scoped(c: Dict[str, Any] = Depends(claims)) -> Dict[str, Any]:
        if "read:messages" not in str(c.get("scope", "")).split(" "):
            raise HTTPException(status_code=403, detail="insufficient scope")
        return {"sub": c["sub"]}

    return app
