"""A view that creates an invoice and waits for SePay to process it, and one that serves the PDF."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import sepay_einvoice as se

from .einvoice import get_client

VIETNAM = dt.timezone(dt.timedelta(hours=7))


def error_response(err: se.SePayError) -> JsonResponse:
    body = {"error": err.kind, "message": err.message}
    if isinstance(err, se.ValidationError):
        return JsonResponse({**body, "field": err.field}, status=400)
    if isinstance(err, se.WaitTimeoutError) and err.job is not None:
        # Still processing: keep err.job.to_dict() (e.g. hand it to a Celery task) and resume later.
        return JsonResponse({**body, "job": err.job.to_dict()}, status=202)
    if isinstance(err, se.InvoiceFailedError):
        return JsonResponse(body, status=409)
    if isinstance(err, se.NotFoundError):
        return JsonResponse(body, status=404)
    return JsonResponse({**body, "request_id": getattr(err, "request_id", None)}, status=502)


@csrf_exempt
@require_POST
def create_invoice(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body, parse_float=Decimal)
    now = dt.datetime.now(VIETNAM) - dt.timedelta(minutes=1)
    invoice_request = se.CreateInvoice(
        provider_account_id=data["provider_account_id"],
        template_code=data.get("template_code", "1"),
        invoice_series=data.get("invoice_series") or f"C{now:%y}TSE",  # a series carries its year
        issued_date=now,
        is_draft=data.get("draft", True),
        notes=data.get("notes"),
        buyer=se.Buyer(name=data.get("buyer_name"), tax_code=data.get("buyer_tax_code")),
        items=[
            se.LineItem(l["name"], quantity=l["quantity"], unit_price=l["unit_price"], tax_rate=l.get("tax_rate"))
            for l in data["lines"]
        ],
    )
    try:
        invoice = get_client().create_invoice_and_wait(
            invoice_request, timeout=60, poll_interval=settings.SEPAY_EINVOICE_POLL_INTERVAL
        )
    except se.SePayError as err:
        return error_response(err)
    return JsonResponse(invoice.to_dict(), status=201)


@require_GET
def invoice_pdf(request: HttpRequest, reference_code: str) -> HttpResponse:
    try:
        pdf = get_client().download_invoice(reference_code, "pdf")
    except se.SePayError as err:
        return error_response(err)
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.file_name}"'
    return response
