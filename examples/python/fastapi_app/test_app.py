"""The FastAPI example against the mock server, through FastAPI's TestClient."""

from __future__ import annotations

from typing import Any, Dict

from fastapi.testclient import TestClient

from app import app
from mockctl import ACCOUNT, Mock


def body(**over: Any) -> Dict[str, Any]:
    b: Dict[str, Any] = {
        "provider_account_id": ACCOUNT,
        "buyer_name": "Công ty ABC",
        "buyer_tax_code": "0100233488",
        "lines": [{"name": "Sản phẩm A", "quantity": "2", "unit_price": "100000", "tax_rate": 10}],
    }
    b.update(over)
    return b


def test_create_wait_issue_and_download(mock_server: Mock) -> None:
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


def test_errors_map_to_http(mock_server: Mock) -> None:
    with TestClient(app) as http:
        r = http.post("/invoices", json=body(lines=[{"name": "x", "quantity": "1", "unit_price": "1", "tax_rate": 7}]))
        assert r.status_code == 422 and r.json()["field"] == "items[0].tax_rate"
        r = http.get("/invoices/does-not-exist")
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
        r = http.post("/invoices", json=body(notes="[mock:fail]"))
        assert r.status_code == 409 and r.json()["error"] == "InvoiceFailed"
