"""Starting the mock server and talking to its control API (test helper, stdlib only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "mock_client_id"
CLIENT_SECRET = "mock_client_secret"
ACCOUNT = "0aea3134-da40-11f0-aef4-52c7e9b4f41b"


def find_mock_bin() -> str:
    """``$SEPAY_MOCK_BIN``, else build the mock with cargo and find it in the target dir
    (honouring ``CARGO_TARGET_DIR`` and ``CARGO_BUILD_TARGET``)."""
    explicit = os.environ.get("SEPAY_MOCK_BIN")
    if explicit:
        return explicit
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    triple = os.environ.get("CARGO_BUILD_TARGET")
    out = target_dir / triple / "debug" if triple else target_dir / "debug"
    binary = out / "sepay-einvoice-mock"
    subprocess.run(
        ["cargo", "build", "-q", "-p", "sepay-einvoice-mock"],
        cwd=REPO,
        check=True,
        stdout=sys.stderr,
    )
    if not binary.exists():
        raise RuntimeError(f"mock binary not found at {binary}")
    return str(binary)


class Mock:
    """A running ``sepay-einvoice-mock`` process."""

    def __init__(self, binary: Optional[str] = None) -> None:
        self.proc = subprocess.Popen(
            [binary or find_mock_bin(), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http"):
            self.proc.kill()
            raise RuntimeError(f"mock server did not start (first line {line!r})")
        self.url = line.rstrip("/")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"mock control {method} {path}: {e.code} {e.read()!r}") from e
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self.request("POST", "/_mock/reset")

    def config(self, body: Any) -> Any:
        return self.request("POST", "/_mock/config", body)

    def fault(self, rule: Any) -> Any:
        return self.request("POST", "/_mock/faults", rule)

    def clear_faults(self) -> None:
        self.request("DELETE", "/_mock/faults")

    def expire_tokens(self) -> None:
        self.request("POST", "/_mock/tokens/expire")

    def stats(self) -> Any:
        return self.request("GET", "/_mock/stats")
