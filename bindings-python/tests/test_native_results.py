"""Results built by the native layer are the objects the Python decoder builds, value for value
and type for type; async results reach the loop without a thread per result; ``max_in_flight``
is a checked setting."""

from __future__ import annotations

import asyncio
import json
import os
from decimal import Decimal
from typing import Any, Dict, List

import pytest

import sepay_einvoice as se
from sepay_einvoice import _models, _native
from sepay_einvoice._model_base import _loads
from mockctl import CLIENT_ID, CLIENT_SECRET, Mock

REGISTERED = {
    name: cls
    for name, cls in vars(_models).items()
    if isinstance(cls, type) and "_decode_spec" in vars(cls)
}


def same(a: Any, b: Any) -> None:
    """Equal, of the same types, and printing the same (``Decimal('0.00')`` is not
    ``Decimal('0')``)."""
    assert type(a) is type(b)
    assert a == b
    assert repr(vars(a)) == repr(vars(b))


def check(name: str, text: str) -> None:
    cls = REGISTERED[name]
    try:
        expected = cls._from_json(_loads(text))
    except Exception as e:  # the native way must fail the same way
        with pytest.raises(type(e)):
            _native.build_model(name, text)
        return
    same(_native.build_model(name, text), expected)


def test_built_classes_need_no_init() -> None:
    """Results are built without calling ``__init__`` (fields set at once): that stays the same
    object only while no class post-processes its fields or uses slots."""
    for cls in REGISTERED.values():
        assert not hasattr(cls, "__post_init__"), cls
        assert all("__slots__" not in vars(k) for k in cls.__mro__ if k is not object), cls


def test_every_response_class_is_registered() -> None:
    for name in ("Invoice", "InvoiceItem", "Job", "JobStatus", "Usage", "TokenInfo", "Buyer"):
        assert name in REGISTERED


INVOICE: Dict[str, Any] = {
    "reference_code": "INV-1",
    "status": "issued",
    "invoice_number": "0000012",
    "issued_date": "2026-01-26",
    "buyer": {"name": "ABC", "tax_code": "0100233488", "type": "company"},
    "total_before_tax": "100000.00",
    "tax_amount": "0.00",
    "total_amount": "110000",
    "source": "api",
    "currency": "VND",
    "document_type": 2,
    "payment_method": "TM/CK",
    "items": [
        {"line_number": 1, "line_type": 1, "item_name": "A", "quantity": "2.00", "tax_rate": 10}
    ],
    "adjusted_by": ["ADJ-1", "ADJ-2"],
}

ODD: List[Dict[str, Any]] = [
    {},
    {"reference_code": None},
    {"reference_code": 12},
    {"status": "not-a-status", "source": "elsewhere", "currency": "JPY"},
    {"status": None, "source": None},
    {"issued_date": ""},
    {"issued_date": "2026-01-26 08:00:00"},
    {"issued_date": "26-01-2026"},
    {"issued_date": 20260126},
    {"total_amount": 5},
    {"total_amount": 5.5},
    {"total_amount": "abc"},
    {"total_amount": ""},
    {"document_type": "2"},
    {"document_type": True},
    {"document_type": None},
    {"buyer": None},
    {"buyer": {}},
    {"buyer": "x"},
    {"items": None},
    {"items": []},
    {"items": [{}]},
    {"items": "ab"},
    {"adjusted_by": [1, 2]},
    {"adjusted_by": None},
    {"notes": 7},
    {"pdf_url": None},
]


@pytest.mark.parametrize("extra", ODD, ids=[json.dumps(o)[:40] for o in ODD])
def test_an_invoice_is_built_as_the_python_decoder_builds_it(extra: Dict[str, Any]) -> None:
    check("Invoice", json.dumps({**INVOICE, **extra}))


def test_items_and_statuses_are_built_alike() -> None:
    check("InvoiceItem", json.dumps({"line_number": 1, "line_type": 9, "tax_rate": -1}))
    check("InvoiceItem", json.dumps({"line_type": "1", "tax_rate": "10"}))
    check("JobStatus", json.dumps({"status": "Pending", "message": "x"}))
    check("JobStatus", json.dumps({"status": "Success", "invoice": INVOICE}))
    check("JobStatus", json.dumps({"status": "Weird", "invoice": None}))
    check("Job", json.dumps({"kind": "create", "reference_code": "R", "tracking_code": None}))


def test_real_results_are_native_objects(fresh_mock: Mock) -> None:
    client = se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url)
    ref = client.list_invoices().items[0].reference_code
    inv = client.get_invoice(ref)
    same(inv, _models.Invoice._from_json(_loads(json.dumps(inv.to_dict()))))
    assert isinstance(inv.total_amount, Decimal)
    usage = client.get_usage()
    assert isinstance(usage, se.Usage)


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_async_results_need_no_thread_per_result(fresh_mock: Mock) -> None:
    async def main() -> int:
        async with se.AsyncClient(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url
        ) as client:
            ref = (await client.list_invoices()).items[0].reference_code
            await client.get_invoice(ref)
            before = os_threads()
            results = await asyncio.gather(*(client.get_invoice(ref) for _ in range(500)))
            assert all(r.reference_code == ref for r in results)
            return os_threads() - before

    # Handing each result over from a thread of its own (the fallback) starts dozens.
    assert asyncio.run(main()) <= 2


def test_a_cancelled_async_call_leaves_the_loop_delivering(fresh_mock: Mock) -> None:
    async def main() -> None:
        async with se.AsyncClient(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url
        ) as client:
            ref = (await client.list_invoices()).items[0].reference_code
            tasks = [asyncio.ensure_future(client.get_invoice(ref)) for _ in range(50)]
            await asyncio.sleep(0)
            for t in tasks[::2]:
                t.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            cancelled = sum(isinstance(d, asyncio.CancelledError) for d in done)
            assert cancelled >= 1
            assert all(
                isinstance(d, (se.Invoice, asyncio.CancelledError)) for d in done
            ), done
            # Later calls on the same loop still complete.
            assert (await client.get_invoice(ref)).reference_code == ref

    asyncio.run(main())


@pytest.mark.parametrize("bad", [0, -1, "5", 1.5, True])
def test_max_in_flight_is_checked(bad: Any) -> None:
    with pytest.raises(se.ValidationError) as e:
        se.Client(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url="http://127.0.0.1:9",
            max_in_flight=bad,
        )
    assert e.value.field == "max_in_flight"
    assert se.DEFAULTS["max_in_flight"] == 100
