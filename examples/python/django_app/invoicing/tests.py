"""The Django example against the mock server (``python manage.py test``)."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Optional

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "bindings-python" / "tests"))

from mockctl import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Mock  # noqa: E402

_mock: Optional[Mock] = None


def setUpModule() -> None:
    global _mock
    if not os.environ.get("SEPAY_EINVOICE_BASE_URL"):
        _mock = Mock()
        os.environ.update(
            SEPAY_EINVOICE_BASE_URL=_mock.url,
            SEPAY_EINVOICE_CLIENT_ID=CLIENT_ID,
            SEPAY_EINVOICE_CLIENT_SECRET=CLIENT_SECRET,
        )


def tearDownModule() -> None:
    if _mock is not None:
        _mock.stop()


def payload(**over: Any) -> Dict[str, Any]:
    p: Dict[str, Any] = {
        "provider_account_id": ACCOUNT,
        "buyer_name": "Công ty ABC",
        "buyer_tax_code": "0100233488",
        "lines": [{"name": "Sản phẩm A", "quantity": 2, "unit_price": 100000, "tax_rate": 10}],
    }
    p.update(over)
    return p


class InvoiceViewTests(SimpleTestCase):
    def post(self, body: Dict[str, Any]) -> Any:
        return self.client.post("/invoices", data=json.dumps(body), content_type="application/json")

    def test_view_creates_a_draft_and_waits(self) -> None:
        r = self.post(payload())
        self.assertEqual(r.status_code, 201, r.content)
        data = r.json()
        self.assertEqual(data["status"], "draft")
        self.assertEqual(data["total_amount"], "220000")

    def test_command_issues_the_draft_and_the_pdf_is_served(self) -> None:
        ref = self.post(payload()).json()["reference_code"]
        out = io.StringIO()
        call_command("issue_invoice", ref, stdout=out)
        self.assertIn(f"issued {ref}: number", out.getvalue())
        self.assertIn("Success", out.getvalue())
        r = self.client.get(f"/invoices/{ref}/pdf")
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.content.startswith(b"%PDF"))

    def test_errors(self) -> None:
        r = self.post(payload(lines=[{"name": "x", "quantity": 1, "unit_price": 1, "tax_rate": 7}]))
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.json()["field"], "items[0].tax_rate")
        self.assertEqual(self.client.get("/invoices/nope/pdf").status_code, 404)
        with self.assertRaises(CommandError):
            call_command("issue_invoice", "nope", stdout=io.StringIO())
