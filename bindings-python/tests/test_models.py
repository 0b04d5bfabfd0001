"""Typed objects: real types, money input, enums, repr masking, to_dict/from_dict, pickling."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal
from typing import Any

import pytest

import sepay_einvoice as se
from conftest import draft_request
from mockctl import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Mock


def client(mock: Mock) -> se.Client:
    return se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url)


def typed_request(**over: Any) -> se.CreateInvoice:
    req = se.CreateInvoice(
        provider_account_id=ACCOUNT,
        template_code="1",
        invoice_series="C26TSE",
        issued_date=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5),
        is_draft=True,
        currency=se.Currency.VND,
        payment_method=se.PaymentMethod.BANK_TRANSFER,
        buyer=se.Buyer(name="Công ty ABC", tax_code="0101234567", email="buyer@example.com"),
        items=[
            se.LineItem("Sản phẩm A", quantity=2, unit_price=Decimal("100000"), tax_rate=se.TaxRate.TEN),
            se.LineItem("Dịch vụ B", quantity="1.5", unit_price=1000.5, tax_rate=8, unit="giờ"),
        ],
    )
    for k, v in over.items():
        setattr(req, k, v)
    return req


def test_enums_are_str_and_int_enums() -> None:
    assert se.InvoiceStatus.ISSUED == "issued"
    assert se.JobState.SUCCESS == "Success"
    assert se.PaymentMethod.CASH_OR_TRANSFER == "TM/CK"
    assert str(se.FileType.PDF) == "pdf" and f"{se.Source.API}" == "api"
    assert se.LineType.NOTE == 4 and se.TaxRate.NOT_SUBJECT == -2


def test_unknown_server_values_are_kept_raw() -> None:
    inv = se.Invoice.from_dict(
        {"reference_code": "r", "status": "archived", "source": "pos", "currency": "EUR", "items": [{"line_type": 9}]}
    )
    assert inv.status == "archived" and not isinstance(inv.status, se.InvoiceStatus)
    assert inv.source == "pos" and inv.currency == "EUR"
    assert inv.items[0].line_type == 9
    assert inv.to_dict()["status"] == "archived"


def test_typed_request_flow_and_real_types(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    req = typed_request()
    preview = c.totals(req)
    assert preview.total_before_tax == Decimal("201501")  # 200000 + 1500.75 rounded to VND
    inv = c.create_invoice_and_wait(req, poll_interval=0.1)
    assert isinstance(inv.total_amount, Decimal)
    assert inv.total_amount == preview.total_amount
    assert isinstance(inv.issued_date, dt.date)
    assert inv.status is se.InvoiceStatus.DRAFT
    assert inv.buyer is not None and inv.buyer.tax_code == "0101234567"
    detail = c.get_invoice(inv.reference_code)
    assert detail.items and isinstance(detail.items[0].quantity, Decimal)
    assert detail.payment_method is se.PaymentMethod.BANK_TRANSFER
    issued = c.issue_invoice_and_wait(inv.reference_code, poll_interval=0.1)
    pdf = c.download_invoice(issued.reference_code, se.FileType.PDF)
    assert isinstance(pdf.content, bytes) and pdf.content.startswith(b"%PDF")
    assert "bytes>" in repr(pdf)
    page = c.list_invoices(per_page=2)
    assert isinstance(page.paging, se.Paging) and len(page) == len(page.items) <= 2
    assert all(isinstance(i, se.Invoice) for i in page)
    usage = c.get_usage()
    assert isinstance(usage.quota_remaining, int)
    account = c.get_provider_account(ACCOUNT)
    assert account.templates and isinstance(account.templates[0], se.InvoiceTemplate)


@pytest.mark.parametrize(
    "value,expected",
    [(0.1, Decimal("0.1")), ("0.10", Decimal("0.1")), (Decimal("0.3"), Decimal("0.3")), (3, Decimal("3"))],
)
def test_money_inputs(value: Any, expected: Decimal) -> None:
    t = se.totals({"currency": "USD", "items": [{"item_name": "x", "quantity": 1, "unit_price": value}]})
    assert t.lines[0].amount == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), "abc"])
def test_nan_and_inf_are_rejected_with_the_field_path(bad: Any) -> None:
    with pytest.raises(se.ValidationError) as e:
        se.totals({"items": [{"item_name": "x", "quantity": 1, "unit_price": bad}]})
    assert e.value.field == "items[0].unit_price"


def test_validation_names_the_field_and_sends_nothing(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    before = fresh_mock.stats()["requests_total"]
    bad = typed_request()
    bad.items = [se.LineItem("x", quantity=1, unit_price=1, tax_rate=7)]
    with pytest.raises(se.ValidationError) as e:
        c.create_invoice(bad)
    assert e.value.field == "items[0].tax_rate"
    assert isinstance(e.value, ValueError)
    with pytest.raises(se.ValidationError) as e2:
        c.list_invoices(per_page=0)
    assert e2.value.field == "per_page"
    with pytest.raises(se.ValidationError):
        c.download_invoice("abc", "docx")
    assert fresh_mock.stats()["requests_total"] == before


def test_repr_masks_buyer_pii() -> None:
    b = se.Buyer(name="ABC", tax_code="0101234567", email="buyer@example.com", phone="0912345678", national_id="001099012345")
    text = repr(b)
    for secret in ("0101234567", "buyer@example.com", "0912345678", "001099012345"):
        assert secret not in text
    assert "*******567" in text and "b****@example.com" in text and "ABC" in text
    req = se.CreateInvoice(buyer={"tax_code": "0101234567"}, items=[])
    assert "0101234567" not in repr(req)
    inv = se.Invoice.from_dict({"reference_code": "r", "buyer": {"tax_code": "0101234567"}})
    assert "0101234567" not in repr(inv) and "0101234567" not in repr(se.JobStatus("Success", invoice=inv))


def test_client_repr_has_no_secret() -> None:
    c = se.Client(client_id="id", client_secret="s3cr3t-value", base_url="http://127.0.0.1:9")
    assert "s3cr3t-value" not in repr(c) and "s3cr3t-value" not in repr(c._native)


def test_job_round_trips_and_resumes_a_wait(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    job = c.create_invoice(draft_request())
    stored = job.to_dict()
    assert stored["kind"] == "create" and stored["tracking_code"]
    again = se.Job.from_dict(stored)
    assert again == job
    assert pickle.loads(pickle.dumps(job)) == job
    inv = c.wait_for_status(again, poll_interval=0.1)
    assert inv.reference_code == job.reference_code
    # A dict from to_dict() is accepted where a Job is.
    assert c.check_status(stored).state is se.JobState.SUCCESS
    with pytest.raises(se.ValidationError):
        se.Job.from_dict({"kind": "create"})  # no reference_code


def test_everything_pickles_and_compares(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    inv = c.create_invoice_and_wait(typed_request(), poll_interval=0.1)
    detail = c.get_invoice(inv.reference_code)
    page = c.list_invoices(per_page=3)
    status = c.check_status(c.issue_invoice(inv.reference_code))
    objects = [
        inv,
        detail,
        page,
        status,
        typed_request(),
        se.totals(typed_request()),
        c.get_usage(),
        c.authenticate(),
        c.get_provider_account(ACCOUNT),
        c.list_provider_accounts(),
        se.InvoiceFile(se.FileType.PDF, "a.pdf", b"%PDF-1.4"),
    ]
    for obj in objects:
        back = pickle.loads(pickle.dumps(obj))
        assert back == obj, type(obj)
    assert se.Invoice.from_dict(detail.to_dict()) == detail
    assert se.JobStatus.from_dict(status.to_dict()) == status
    assert status.to_dict()["status"] in ("Pending", "Success")
    assert se.Totals.from_dict(se.totals(typed_request()).to_dict()) == se.totals(typed_request())
