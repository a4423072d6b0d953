"""The pytest plugin (entry point ``pytest11``): ``mock_idp`` and ``mock_idp_function`` fixtures.

``mock_idp`` is one tenant for the whole session; ``mock_idp_function`` a fresh one per test
(for tests that rotate keys, move the clock or add faults and must not leak that into others;
or call ``mock_idp.reset()``). Both take their options from the ``mock_idp_options`` fixture,
which a ``conftest.py`` overrides::

    @pytest.fixture(scope="session")
    def mock_idp_options():
        return {"config": "tests/tenant.toml", "trust_ca": True}

The keys are those of :func:`mock_idp.start`: ``config``, ``trust_ca``, ``auto_login``,
``fixture_keys``, ``state_dir``, ``binary``, ``extra_args``, ``timeout``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from ._process import MockIdp, start


@pytest.fixture(scope="session")
def mock_idp_options() -> Dict[str, Any]:
    """Options for the tenants the fixtures start (override it in a conftest.py)."""
    return {}


@pytest.fixture(scope="session")
def mock_idp(mock_idp_options: Dict[str, Any]) -> Iterator[MockIdp]:
    """A mock Auth0 tenant (``mock-idp serve``) for the test session, ready to use."""
    with start(**mock_idp_options) as tenant:
        yield tenant


@pytest.fixture
def mock_idp_function(mock_idp_options: Dict[str, Any]) -> Iterator[MockIdp]:
    """A mock Auth0 tenant of its own for one test."""
    with start(**mock_idp_options) as tenant:
        yield tenant
