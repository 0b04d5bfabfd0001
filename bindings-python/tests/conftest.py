from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mockctl import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Mock  # noqa: E402

# Filled by the conformance tests; printed by pytest_terminal_summary.
CONFORMANCE: Dict[str, Dict[str, List[str]]] = {
    "sync": {"passed": [], "failed": []},
    "async": {"passed": [], "failed": []},
}
# Filled by test_bad_input.py (mode -> its summary line and failure lines); printed likewise.
BAD_INPUT: Dict[str, Dict[str, List[str]]] = {}


@pytest.fixture(scope="session")
def mock() -> Iterator[Mock]:
    m = Mock()
    yield m
    m.stop()


@pytest.fixture()
def fresh_mock(mock: Mock) -> Mock:
    mock.reset()
    mock.config({"pending_polls": 1, "pending_ms": 200})
    return mock


@pytest.fixture()
def mock_env(fresh_mock: Mock, monkeypatch: pytest.MonkeyPatch) -> Mock:
    monkeypatch.setenv("SEPAY_EINVOICE_BASE_URL", fresh_mock.url)
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_SECRET", CLIENT_SECRET)
    return fresh_mock


def _vn_minute_ago() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(minutes=1)


def vn_now() -> str:
    return _vn_minute_ago().strftime("%Y-%m-%d %H:%M:%S")


def vn_series(letters: str = "TSE") -> str:
    """The series of the current year (a series carries its year: C26TSE in 2026)."""
    return f"C{_vn_minute_ago():%y}{letters}"


def draft_request(**over: Any) -> Dict[str, Any]:
    req: Dict[str, Any] = {
        "provider_account_id": ACCOUNT,
        "template_code": "1",
        "invoice_series": vn_series(),
        "issued_date": vn_now(),
        "is_draft": True,
        "currency": "VND",
        "buyer": {"name": "Công ty ABC", "tax_code": "0101234567", "email": "buyer@example.com"},
        "items": [
            {"item_name": "Sản phẩm A", "quantity": 2, "unit_price": 100000, "tax_rate": 10}
        ],
    }
    req.update(over)
    return req


def pytest_terminal_summary(terminalreporter: Any) -> None:
    scan = CONFORMANCE.get("scan")
    if scan:
        terminalreporter.write_line(
            f"secret scan (python): {scan['passed'][0]}, {len(scan['failed'])} leaks"
        )
    for mode in ("sync", "async"):
        r = CONFORMANCE[mode]
        if not r["passed"] and not r["failed"] and not os.environ.get("SEPAY_CONFORMANCE_ALWAYS"):
            continue
        terminalreporter.write_line(
            f"conformance (python {mode}): {len(r['passed'])} passed, {len(r['failed'])} failed"
        )
        for name in r["failed"]:
            terminalreporter.write_line(f"  failed: {name}")
    for mode in ("sync", "async"):
        b = BAD_INPUT.get(mode)
        if b:
            terminalreporter.write_line(b["summary"][0])
            for name in b["failed"]:
                terminalreporter.write_line(f"  failed: {name}")
