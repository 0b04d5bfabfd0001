"""Points the app at the SDK's bundled mock, started in-process by the ``sepay_mock`` fixture of
``sepay_einvoice``'s pytest plugin (a fresh mock per test; no Rust, no server to run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sepay_einvoice.testing import MockServer

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The app reads its poll interval at import; the mock's jobs resolve within a poll or two.
os.environ.setdefault("EINVOICE_POLL_INTERVAL", "0.1")


@pytest.fixture(autouse=True)
def einvoice_mock(sepay_mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> MockServer:
    """The app's lifespan builds its client with ``AsyncClient.from_env()``: point the
    environment at this test's mock."""
    monkeypatch.setenv("SEPAY_EINVOICE_BASE_URL", sepay_mock.url)
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_ID", sepay_mock.client_id)
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_SECRET", sepay_mock.client_secret)
    monkeypatch.delenv("SEPAY_EINVOICE_ENV", raising=False)
    return sepay_mock
