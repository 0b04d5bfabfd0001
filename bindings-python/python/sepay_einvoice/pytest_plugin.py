"""pytest fixtures for testing code that uses sepay-einvoice against the bundled mock.

Loaded automatically when the package is installed (entry point ``pytest11``); disable it with
``-p no:sepay_einvoice``.

- ``sepay_mock``: a fresh ``sepay_einvoice.testing.MockServer`` for each test, closed afterwards.
  Settings come from the ``sepay_mock`` marker:
  ``@pytest.mark.sepay_mock(pending_ms=0, quota=5)``.
- ``sepay_mock_session``: one server for the whole session (faster; state carries over from
  test to test, so call ``sepay_mock_session.reset()`` where a test needs a clean mock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator

import pytest

if TYPE_CHECKING:
    from .testing import MockServer

__all__ = ["pytest_configure", "sepay_mock", "sepay_mock_session"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sepay_mock(**settings): settings of the sepay_mock fixture's MockServer "
        "(pending_ms, pending_polls, quota, token_ttl, ...)",
    )


@pytest.fixture()
def sepay_mock(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A fresh in-process mock of the SePay eInvoice API for this test (closed afterwards).
    ``sepay_mock.client()`` is a ``Client`` pointed at it; ``@pytest.mark.sepay_mock(**settings)``
    passes settings to ``MockServer``."""
    from .testing import MockServer

    settings: Dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("sepay_mock"))):
        settings.update(marker.kwargs)
    with MockServer(**settings) as mock:
        yield mock


@pytest.fixture(scope="session")
def sepay_mock_session() -> Iterator[MockServer]:
    """One in-process mock of the SePay eInvoice API for the whole test session, with the mock's
    default settings. Nothing is reset between tests: call ``.reset()`` (and ``.config(...)``)
    where a test needs it."""
    from .testing import MockServer

    with MockServer() as mock:
        yield mock
