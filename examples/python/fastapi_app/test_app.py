"""The FastAPI example against the SDK's in-process mock, through FastAPI's TestClient."""

from __future__ import annotations

from typing import Any, Dict

from fastapi.testclient import TestClient
from sepay_einvoice.testing import ACCOUNT_MATBAO, MockServer

from app import app


def body(**over: Any) -> Dict[str, Any]:
    b: Dict[str, Any] = {
        "provider_account_id": ACCOUNT_MATBAO,
        "buyer_name": "Công ty ABC",
        "buyer_tax_code": "0100233488",
        "lines": [{"name": "Sản phẩm A", "quantity": "2", "unit_price": "100000", "tax_rate": 10}],
    }
    b.update(over)
    return b


def test_create_wait_issue_and_download(einvoice_mock: MockServer) -> None:
    with TestClient(app) as http:
        r = http.post("/invoices", json=body())
        assert r.status_code == 201, r.text
        draft = r.json()
        assert draft["status"] == "draft" and draft["total_amount"] == "220000"
        r = http.post(f"/invoices/{draft['reference_code']}/issue")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "issued"
        r = http.get(f"/invoices/{draft['reference_code']}/pdf")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert r.headers["content-type"] == "application/pdf"
    stats = einvoice_mock.stats()
    assert stats["requests"]["create_invoice"] == {"200": 1}
    assert stats["quota_remaining"] == 999


def test_errors_map_to_http(einvoice_mock: MockServer) -> None:
    with TestClient(app) as http:
        r = http.post("/invoices", json=body(lines=[{"name": "x", "quantity": "1", "unit_price": "1", "tax_rate": 7}]))
        assert r.status_code == 422 and r.json()["field"] == "items[0].tax_rate"
        r = http.get("/invoices/does-not-exist")
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
        r = http.post("/invoices", json=body(notes="[mock:fail]"))
        assert r.status_code == 409 and r.json()["error"] == "InvoiceFailed"


def test_sepay_outages(einvoice_mock: MockServer) -> None:
    with TestClient(app) as http:
        # One 503: the SDK retries, and exactly one invoice results.
        einvoice_mock.fault(route="create_invoice", kind="status", status=503, retry_after=0, times=1)
        r = http.post("/invoices", json=body())
        assert r.status_code == 201, r.text
        assert einvoice_mock.stats()["requests"]["create_invoice"] == {"503": 1, "200": 1}
        # SePay down for good: the app answers 502 with the API's code.
        einvoice_mock.fault(route="create_invoice", kind="status", status=503, retry_after=0)
        r = http.post("/invoices", json=body())
        assert r.status_code == 502 and r.json()["api_code"] == "SERVICE_UNAVAILABLE", r.text
