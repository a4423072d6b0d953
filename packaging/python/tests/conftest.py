"""Every tenant of this suite trusts its CA in this process (SSL_CERT_FILE), so PyJWKClient
fetches the JWKS over HTTPS unchanged."""

from typing import Any, Dict

import pytest


@pytest.fixture(scope="session")
def mock_idp_options() -> Dict[str, Any]:
    return {"trust_ca": True}
