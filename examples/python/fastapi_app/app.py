"""A FastAPI service that issues invoices through SePay eInvoice.

Run it:  SEPAY_EINVOICE_CLIENT_ID=... SEPAY_EINVOICE_CLIENT_SECRET=... uvicorn app:app

Where the client lives: one ``AsyncClient`` per process, created in the lifespan and shared by
every request (it is safe to share; it pools connections and caches the token). With several
uvicorn/gunicorn workers each process gets its own. Cancelling a request (client disconnect,
timeout middleware) cancels the call to SePay too.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, AsyncIterator, Dict, List, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

import sepay_einvoice as se

VIETNAM = dt.timezone(dt.timedelta(hours=7))
# The API advises polling every 2-5 s; tests against the mock use a shorter interval.
POLL_INTERVAL = float(os.environ.get("EINVOICE_POLL_INTERVAL", "2.0"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.einvoice = se.AsyncClient.from_env()  # SEPAY_EINVOICE_* variables
    yield
    await app.state.einvoice.close()


app = FastAPI(title="invoices", lifespan=lifespan)


def einvoice(request: Request) -> se.AsyncClient:
    client: se.AsyncClient = request.app.state.einvoice
    return client


class Line(BaseModel):
    name: str
    quantity: Decimal
    unit_price: Decimal
    unit: Optional[str] = None
    tax_rate: Optional[int] = 10


class InvoiceIn(BaseModel):
    provider_account_id: str
    template_code: str = "1"
    #: Defaults to the VAT series of the current year (a series carries its year: C26TSE in 2026).
    invoice_series: Optional[str] = None
    buyer_name: str
    buyer_tax_code: Optional[str] = None
    buyer_email: Optional[str] = None
    lines: List[Line]
    draft: bool = True
    notes: Optional[str] = None
    reference_code: Optional[str] = None


@app.exception_handler(se.SePayError)
async def sepay_error(request: Request, err: se.SePayError) -> JSONResponse:
    body: Dict[str, Any] = {"error": err.kind, "message": err.message}
    if isinstance(err, se.ValidationError):
        return JSONResponse({**body, "field": err.field}, status_code=422)
    if isinstance(err, se.WaitTimeoutError) and err.job is not None:
        # Still processing: hand back the job so the caller (or a worker) can resume the wait.
        return JSONResponse({**body, "job": err.job.to_dict()}, status_code=202)
    if isinstance(err, se.InvoiceFailedError):
        return JSONResponse({**body, "reference_code": err.reference_code}, status_code=409)
    if isinstance(err, se.NotFoundError):
        return JSONResponse(body, status_code=404)
    if isinstance(err, se.ApiError):
        body.update(api_code=err.api_code, request_id=err.request_id)
    return JSONResponse(body, status_code=502)


@app.post("/invoices", status_code=201)
async def create_invoice(body: InvoiceIn, client: se.AsyncClient = Depends(einvoice)) -> Dict[str, Any]:
    """Creates an invoice (a draft by default) and waits until SePay has processed it."""
    now = dt.datetime.now(VIETNAM) - dt.timedelta(minutes=1)
    request = se.CreateInvoice(
        provider_account_id=body.provider_account_id,
        template_code=body.template_code,
        invoice_series=body.invoice_series or f"C{now:%y}TSE",
        issued_date=now,
        is_draft=body.draft,
        reference_code=body.reference_code,
        notes=body.notes,
        buyer=se.Buyer(name=body.buyer_name, tax_code=body.buyer_tax_code, email=body.buyer_email),
        items=[
            se.LineItem(l.name, quantity=l.quantity, unit_price=l.unit_price, unit=l.unit, tax_rate=l.tax_rate)
            for l in body.lines
        ],
    )
    invoice = await client.create_invoice_and_wait(request, timeout=60, poll_interval=POLL_INTERVAL)
    return invoice.to_dict()


@app.post("/invoices/{reference_code}/issue")
async def issue_invoice(reference_code: str, client: se.AsyncClient = Depends(einvoice)) -> Dict[str, Any]:
    invoice = await client.issue_invoice_and_wait(reference_code, timeout=60, poll_interval=POLL_INTERVAL)
    return invoice.to_dict()


@app.get("/invoices/{reference_code}")
async def get_invoice(reference_code: str, client: se.AsyncClient = Depends(einvoice)) -> Dict[str, Any]:
    return (await client.get_invoice(reference_code)).to_dict()


@app.get("/invoices/{reference_code}/pdf")
async def invoice_pdf(reference_code: str, client: se.AsyncClient = Depends(einvoice)) -> Response:
    pdf = await client.download_invoice(reference_code, se.FileType.PDF)
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{pdf.file_name}"'},
    )
