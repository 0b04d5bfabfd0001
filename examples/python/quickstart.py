"""The whole invoice flow against the API (or the bundled mock server): token, provider accounts,
create a draft and wait, issue and wait, read it back, download the PDF, list, usage, then the
corrections of an issued invoice: preflight, adjustments (increase, decrease, information) and a
replacement.

    SEPAY_EINVOICE_BASE_URL=http://127.0.0.1:PORT SEPAY_EINVOICE_CLIENT_ID=mock_client_id \\
    SEPAY_EINVOICE_CLIENT_SECRET=mock_client_secret python examples/python/quickstart.py

Add ``--async`` to run the same flow through ``AsyncClient``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import sepay_einvoice as se

VIETNAM = dt.timezone(dt.timedelta(hours=7))


def log(step: str, text: str) -> None:
    print(f"[python] {step:<18} {text}", flush=True)


def build_request(account: se.ProviderAccount, template: se.InvoiceTemplate) -> se.CreateInvoice:
    return se.CreateInvoice(
        provider_account_id=account.id,
        template_code=template.template_code,
        invoice_series=template.invoice_series,
        issued_date=dt.datetime.now(VIETNAM) - dt.timedelta(minutes=1),
        is_draft=True,
        buyer=se.Buyer(
            name="Công ty TNHH ABC",
            tax_code="0100233488",
            address="123 Đường A, Quận B, Hà Nội",
            email="buyer@example.com",
        ),
        items=[
            se.LineItem("Sản phẩm A", quantity=2, unit_price=100_000, unit="cái", tax_rate=se.TaxRate.TEN),
            se.LineItem("Dịch vụ B", quantity=Decimal("1.5"), unit_price=300_000, unit="giờ", tax_rate=se.TaxRate.TEN),
        ],
        notes="Hóa đơn mẫu từ sepay-einvoice",
    )


def pick_template(detail: se.ProviderAccountDetail) -> se.InvoiceTemplate:
    """A VAT template whose series is of this year (a series carries its year: C26… in 2026)."""
    year = f"{dt.datetime.now(VIETNAM) - dt.timedelta(minutes=1):%y}"
    return next(t for t in detail.templates if t.template_code == "1" and t.invoice_series[1:3] == year)


def corrections(client: se.Client, request: se.CreateInvoice, original: str) -> None:
    """Decree 70/2025: an issued invoice is adjusted or replaced, never cancelled."""
    # A copy (dataclasses.replace, copy.copy) is a new request: it does not share the original's
    # reference code.
    last_year = dataclasses.replace(request, invoice_series=f"C{(int(request.invoice_series[1:3]) + 99) % 100:02d}TSE")
    for p in client.preflight(last_year).problems:
        log("12 preflight", f"{p.severity} {p.field} [{p.rule}]: {p.message}")

    def difference(*items: se.LineItem) -> se.CreateInvoice:
        # An adjustment carries only the difference, on an issued invoice.
        return dataclasses.replace(request, is_draft=False, notes=None, items=list(items))

    for kind, lines in (
        (se.AdjustmentType.INCREASE, [se.LineItem("Sản phẩm A", quantity=1, unit_price=100_000, tax_rate=se.TaxRate.TEN)]),
        (se.AdjustmentType.DECREASE, [se.LineItem("Dịch vụ B", quantity=1, unit_price=-50_000, tax_rate=se.TaxRate.TEN)]),
        (se.AdjustmentType.INFO, [se.LineItem("Sửa địa chỉ người mua: 456 Đường B, Quận 3")]),
    ):
        adj = client.adjust_invoice_and_wait(original, kind, difference(*lines), poll_interval=0.2)
        log(f"13 adjust {kind.value}", f"{adj.reference_code} total {adj.total_amount}")

    first, *rest = request.items
    assert isinstance(first, se.LineItem)
    corrected = dataclasses.replace(request, is_draft=False, items=[dataclasses.replace(first, quantity=3), *rest])
    repl = client.replace_invoice_and_wait(original, corrected, poll_interval=0.2)
    detail = client.get_invoice(original)
    log("14 replace", f"{repl.reference_code} replaces {original}: document type {detail.document_type}, "
        f"{len(detail.adjusted_by)} adjustments, replaced by {detail.replaced_by}")


def show_status(status: se.JobStatus) -> None:
    log("  status", f"{status.state}")


def run_sync() -> None:
    with se.Client.from_env() as client:
        log("base URL", client.base_url)
        token = client.authenticate()
        log("1 token", f"{token.token_type} token, valid {token.expires_in} s")

        accounts = client.list_provider_accounts()
        account = next(a for a in accounts if a.active)
        template = pick_template(client.get_provider_account(account.id))
        log("2 accounts", f"{len(accounts)} found; using {account.id} ({account.provider}), "
            f"template {template.template_code} / {template.invoice_series}")

        request = build_request(account, template)
        preview = se.totals(request)
        log("3 preview", f"before tax {preview.total_before_tax} + tax {preview.tax_amount} = {preview.total_amount}")

        # Short poll intervals because the mock answers quickly; the defaults (2-5 s) follow the API's advice.
        job = client.create_invoice(request)
        log("4 create", f"job {job.tracking_code} for {job.reference_code}")
        draft = client.wait_for_status(job, poll_interval=0.2, on_status=show_status)
        log("5 draft", f"{draft.status}, number {draft.invoice_number}, total {draft.total_amount}")

        issued = client.issue_invoice_and_wait(draft.reference_code, poll_interval=0.2, on_status=show_status)
        log("6 issued", f"{issued.status}, number {issued.invoice_number}, dated {issued.issued_date}")

        detail = client.get_invoice(issued.reference_code)
        lines = ", ".join(f"{i.item_name} {i.quantity} x {i.unit_price}" for i in detail.items)
        log("7 detail", f"{len(detail.items)} lines: {lines}; buyer {detail.buyer!r}")

        pdf = client.download_invoice(issued.reference_code, "pdf")
        path = pdf.save(str(Path(tempfile.gettempdir()) / pdf.file_name))
        log("8 download", f"{pdf.file_name}: {len(pdf.content)} bytes ({pdf.content[:8]!r}) -> {path}")

        page = client.list_invoices(per_page=5)
        log("9 list", f"{len(page)} on page 1 of {page.paging.page_count} ({page.paging.total} in all)")
        everything = sum(1 for _ in client.iter_invoices(per_page=50))
        log("  iterate", f"{everything} invoices across all pages")

        usage = client.get_usage()
        log("10 usage", f"{usage.quota_remaining} issuances left")

        try:
            client.get_invoice("no-such-invoice")
        except se.NotFoundError as err:
            log("11 errors", f"{type(err).__name__}: HTTP {err.status_code}, request id {err.request_id}")

        corrections(client, request, issued.reference_code)


async def run_async() -> None:
    async with se.AsyncClient.from_env() as client:
        log("base URL", f"{client.base_url} (asyncio)")
        accounts = await client.list_provider_accounts()
        account = next(a for a in accounts if a.active)
        template = pick_template(await client.get_provider_account(account.id))
        draft = await client.create_invoice_and_wait(build_request(account, template), poll_interval=0.2)
        log("1 draft", f"{draft.reference_code}: {draft.status}, total {draft.total_amount}")
        issued = await client.issue_invoice_and_wait(draft.reference_code, poll_interval=0.2)
        log("2 issued", f"number {issued.invoice_number}")
        pdf = await client.download_invoice(issued.reference_code, se.FileType.PDF)
        log("3 download", f"{pdf.file_name}: {len(pdf.content)} bytes")
        count = 0
        async for _ in client.iter_invoices(per_page=50):
            count += 1
        log("4 iterate", f"{count} invoices")
        log("5 usage", f"{(await client.get_usage()).quota_remaining} issuances left")


def main() -> int:
    try:
        if "--async" in sys.argv[1:]:
            asyncio.run(run_async())
        else:
            run_sync()
    except se.SePayError as err:
        print(f"[python] failed: {err!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
