"""Points the app at the bundled mock server (started here unless SEPAY_EINVOICE_BASE_URL is set)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "bindings-python" / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mockctl import CLIENT_ID, CLIENT_SECRET, Mock  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def mock_server() -> Iterator[Mock]:
    mock = Mock()
    os.environ.update(
        SEPAY_EINVOICE_BASE_URL=mock.url,
        SEPAY_EINVOICE_CLIENT_ID=CLIENT_ID,
        SEPAY_EINVOICE_CLIENT_SECRET=CLIENT_SECRET,
        EINVOICE_POLL_INTERVAL="0.1",
    )
    yield mock
    mock.stop()
