"""examples/python/quickstart.py runs end to end against the mock (sync and asyncio)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mockctl import CLIENT_ID, CLIENT_SECRET, REPO, Mock


@pytest.mark.parametrize("mode", [[], ["--async"]], ids=["sync", "async"])
def test_quickstart(fresh_mock: Mock, mode: list) -> None:
    env = dict(
        os.environ,
        SEPAY_EINVOICE_BASE_URL=fresh_mock.url,
        SEPAY_EINVOICE_CLIENT_ID=CLIENT_ID,
        SEPAY_EINVOICE_CLIENT_SECRET=CLIENT_SECRET,
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
    assert CLIENT_SECRET not in out.stdout + out.stderr
