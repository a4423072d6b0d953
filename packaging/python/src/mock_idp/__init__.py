"""mock-idp for Python: the ``mock-idp`` binary, a client for its control API, and a pytest plugin.

The wheel puts the ``mock-idp`` command on ``PATH``. In a test::

    def test_private(mock_idp):                     # the pytest fixture (session scope)
        token = mock_idp.token(scope="read:messages")
        ...
        mock_idp.clock.advance(3600)
        mock_idp.keys.rotate()
        mock_idp.faults.add("jwks", status=503, next=1)

Outside pytest, :func:`start` returns the same object (a context manager), and :class:`Tenant`
steers any running ``mock-idp serve`` through its control API given its URL, admin secret and CA.
"""

from ._client import (
    DEFAULT_USER_EMAIL,
    ControlApiError,
    Env,
    LoginTokens,
    RecordedRequest,
    Tenant,
    jwk_thumbprint,
)
from ._process import MockIdp, MockIdpError, find_binary, start

__all__ = [
    "DEFAULT_USER_EMAIL",
    "ControlApiError",
    "Env",
    "LoginTokens",
    "MockIdp",
    "MockIdpError",
    "RecordedRequest",
    "Tenant",
    "find_binary",
    "jwk_thumbprint",
    "start",
]
