"""The Django example against the SDK's bundled mock (``python manage.py test``).

``sepay_einvoice.testing.MockServer`` runs the mock inside the test process (no Rust, no server
to start); set ``SEPAY_EINVOICE_BASE_URL`` (and the credentials) to run against another server.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any, Dict, Optional

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase
from sepay_einvoice.testing import ACCOUNT_MATBAO, MockServer

_mock: Optional[MockServer] = None


def setUpModule() -> None:
    global _mock
    if not os.environ.get("SEPAY_EINVOICE_BASE_URL"):
        _mock = MockServer()
        # invoicing.einvoice builds its shared client with Client.from_env().
        os.environ.update(
            SEPAY_EINVOICE_BASE_URL=_mock.url,
            SEPAY_EINVOICE_CLIENT_ID=_mock.client_id,
            SEPAY_EINVOICE_CLIENT_SECRET=_mock.client_secret,
        )


def tearDownModule() -> None:
    if _mock is not None:
        _mock.close()


def payload(**over: Any) -> Dict[str, Any]:
    p: Dict[str, Any] = {
        "provider_account_id": ACCOUNT_MATBAO,
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

    def test_a_sepay_outage_is_a_502(self) -> None:
        mock = _mock
        if mock is None:
            self.skipTest("needs the in-process mock (SEPAY_EINVOICE_BASE_URL is set)")
            return
        mock.fault(route="create_invoice", kind="status", status=503, retry_after=0)
        try:
            r = self.post(payload())
        finally:
            mock.clear_faults()
        self.assertEqual(r.status_code, 502)
        # The first attempt and the SDK's two retries.
        self.assertEqual(mock.stats()["requests"]["create_invoice"]["503"], 3)
