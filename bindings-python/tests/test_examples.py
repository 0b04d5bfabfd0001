"""examples/python/quickstart.py runs end to end (sync and asyncio) against the in-process mock
of ``sepay_einvoice.testing`` (the plugin's ``sepay_mock`` fixture), from another process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mockctl import REPO
from sepay_einvoice.testing import MockServer


@pytest.mark.sepay_mock(pending_ms=200)
@pytest.mark.parametrize("mode", [[], ["--async"]], ids=["sync", "async"])
def test_quickstart(sepay_mock: MockServer, mode: list) -> None:
    env = dict(
        os.environ,
        SEPAY_EINVOICE_BASE_URL=sepay_mock.url,
        SEPAY_EINVOICE_CLIENT_ID=sepay_mock.client_id,
        SEPAY_EINVOICE_CLIENT_SECRET=sepay_mock.client_secret,
    )
    out = subprocess.run(
        [sys.executable, str(REPO / "examples/python/quickstart.py"), *mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "issued" in out.stdout and "usage" in out.stdout
    assert sepay_mock.client_secret not in out.stdout + out.stderr
    assert sepay_mock.stats()["requests"]["create_invoice"] == {"200": 1}
