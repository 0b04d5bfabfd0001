"""What a Python peer turns the mock's JSON into: small frozen dataclasses with Decimal amounts.

Every Python peer parses a `GET /v1/invoices/{reference_code}` answer with `invoice_from`, so each
peer pays for JSON -> objects as the SDK does (the SDK builds its own, larger, typed model).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Tuple

CLIENT_ID = "mock_client_id"
CLIENT_SECRET = "mock_client_secret"
ACCOUNT_MATBAO = "0aea3134-da40-11f0-aef4-52c7e9b4f41b"


def basic_auth(client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> str:
    """The `Authorization` header of `POST /v1/token`."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def dec(value: Any) -> Decimal:
    """A wire amount (`"2.00"` or `220000`) as a Decimal; never through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        return Decimal(value)
    raise TypeError(f"not an amount: {value!r}")


def opt_dec(value: Any) -> Optional[Decimal]:
    return None if value is None else dec(value)


@dataclass(frozen=True)
class Buyer:
    name: Optional[str]
    tax_code: Optional[str]


@dataclass(frozen=True)
class Line:
    line_number: int
    item_name: str
    quantity: Optional[Decimal]
    unit_price: Optional[Decimal]
    tax_rate: Optional[Decimal]
    total_amount: Optional[Decimal]


@dataclass(frozen=True)
class Invoice:
    reference_code: str
    status: str
    invoice_number: Optional[str]
    issued_date: str
    currency: Optional[str]
    total_before_tax: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    buyer: Buyer
    items: Tuple[Line, ...]


def invoice_from(data: Mapping[str, Any]) -> Invoice:
    """The `data` object of a get-invoice answer as an `Invoice`."""
    buyer = data.get("buyer") or {}
    return Invoice(
        reference_code=data["reference_code"],
        status=data["status"],
        invoice_number=data.get("invoice_number"),
        issued_date=data["issued_date"],
        currency=data.get("currency"),
        total_before_tax=dec(data["total_before_tax"]),
        tax_amount=dec(data["tax_amount"]),
        total_amount=dec(data["total_amount"]),
        buyer=Buyer(name=buyer.get("name"), tax_code=buyer.get("tax_code")),
        items=tuple(
            Line(
                line_number=int(item["line_number"]),
                item_name=item["item_name"],
                quantity=opt_dec(item.get("quantity")),
                unit_price=opt_dec(item.get("unit_price")),
                tax_rate=opt_dec(item.get("tax_rate")),
                total_amount=opt_dec(item.get("total_amount")),
            )
            for item in data.get("items") or ()
        ),
    )


def issued_date() -> str:
    """Yesterday, Vietnam time: never "in the future" for the mock."""
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(days=1)
    return now.strftime("%Y-%m-%d %H:%M:%S")


def create_body(n: int, issued: str) -> Dict[str, Any]:
    """A draft create request as a hand-written client posts it (every field the API needs, a
    fresh reference code)."""
    return {
        "reference_code": f"peer-{uuid.uuid4()}",
        "provider_account_id": ACCOUNT_MATBAO,
        "template_code": "1",
        "invoice_series": "C26TSE",
        "issued_date": issued,
        "currency": "VND",
        "is_draft": True,
        "buyer": {"name": f"Khách hàng {n}", "tax_code": "0100233488"},
        "items": [
            {
                "line_number": 1,
                "line_type": 1,
                "item_name": "Sản phẩm A",
                "quantity": 2,
                "unit_price": 100000,
                "tax_rate": 10,
            }
        ],
    }


class JobFailed(RuntimeError):
    """A create job ended `Failed`."""
