"""An API on PyJWT as its documentation shows it ("Retrieve RSA signing keys from a JWKS
endpoint"): a PyJWKClient for the tenant's JWKS and jwt.decode with RS256, the audience and the
issuer, in a FastAPI dependency on HTTPBearer. The HTTP glue (FastAPI's HTTPBearer, the 401 with
a Bearer challenge, the scope check) is this file's; findings about headers and challenges are
about it, not about PyJWT. Bearer only.
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

DOMAIN = os.environ["AUTH0_DOMAIN"]
AUDIENCE = os.environ["AUTH0_AUDIENCE"]
ISSUER = f"https://{DOMAIN}/"

jwks_client = jwt.PyJWKClient(f"{ISSUER}.well-known/jwks.json")
bearer = HTTPBearer()
app = FastAPI()


def claims(creds: HTTPAuthorizationCredentials = Depends(bearer)) -> dict:
    try:
        key = jwks_client.get_signing_key_from_jwt(creds.credentials)
        return jwt.decode(
            creds.credentials,
            key.key,
            algorithms=["RS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
        )
    except (jwt.PyJWTError, jwt.PyJWKClientError) as e:
        raise HTTPException(
            status_code=401,
            detail=str(e),
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )


@app.get("/api/private")
def private(c: dict = Depends(claims)):
    return {"sub": c.get("sub")}


@app.get("/api/private-scoped")
def private_scoped(c: dict = Depends(claims)):
    if "read:messages" not in str(c.get("scope", "")).split(" "):
        raise HTTPException(
            status_code=403,
            detail="insufficient scope",
            headers={
                "WWW-Authenticate": 'Bearer realm="api", error="insufficient_scope", scope="read:messages"'
            },
        )
    return {"sub": c.get("sub")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "5081")), log_level="warning")
