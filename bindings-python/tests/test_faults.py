"""Trust under faults, as a Python user sees it: the reference code sticks to a request object,
errors carry it and say when the invoice may exist, bad input never escapes as anything but
``ValidationError`` with a field, and a hostile answer cannot fill memory or leak a secret."""

from __future__ import annotations

import copy
import decimal
import pickle
import subprocess
import sys
import textwrap
from typing import Any, Dict, Iterator

import pytest

import sepay_einvoice as se
from conftest import draft_request
from mockctl import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Mock, REPO


@pytest.fixture()
def client(fresh_mock: Mock) -> Iterator[se.Client]:
    fresh_mock.config({"pending_polls": 0, "pending_ms": 0})
    c = se.Client(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=fresh_mock.url,
        timeout=2.0,
        call_timeout=10.0,
        max_retries=1,
    )
    yield c
    c.close()


def typed_request(**over: Any) -> se.CreateInvoice:
    d: Dict[str, Any] = draft_request(**over)
    return se.CreateInvoice(
        provider_account_id=d["provider_account_id"],
        template_code=d["template_code"],
        invoice_series=d["invoice_series"],
        issued_date=d["issued_date"],
        is_draft=True,
        buyer=se.Buyer(name="Công ty ABC", tax_code="0101234567"),
        items=[se.LineItem("Sản phẩm A", quantity=2, unit_price=100000, tax_rate=se.TaxRate.TEN)],
        notes=over.get("notes"),
    )


def invoices_with(mock: Mock, reference: str) -> int:
    return sum(1 for inv in mock.request("GET", "/_mock/invoices") if inv["reference_code"] == reference)


def test_an_ambiguous_create_names_its_reference_and_the_same_object_finds_it(
    client: se.Client, fresh_mock: Mock
) -> None:
    req = typed_request()
    fresh_mock.fault({"route": "create_invoice", "kind": "drop"})
    with pytest.raises(se.APIConnectionError) as e:
        client.create_invoice(req)
    err = e.value
    assert err.reference_code and err.ambiguous and err.retryable
    assert err.reference_code in str(err) and "same request object" in str(err)
    assert req.sent_reference_code == err.reference_code
    fresh_mock.clear_faults()
    # Retrying the same object: the 409 is reconciled, no second invoice.
    inv = client.create_invoice_and_wait(req, poll_interval=0.02, max_poll_interval=0.05)
    assert inv.reference_code == err.reference_code
    assert invoices_with(fresh_mock, err.reference_code) == 1
    # A copy is a new sale: it gets its own code.
    twin = copy.copy(req)
    assert twin.sent_reference_code is None
    other = client.create_invoice(twin)
    assert other.reference_code != err.reference_code
    assert pickle.loads(pickle.dumps(req)).sent_reference_code is None


def test_a_dict_request_is_retried_safely_by_passing_the_reference_back(
    client: se.Client, fresh_mock: Mock
) -> None:
    fresh_mock.fault({"route": "create_invoice", "kind": "drop"})
    with pytest.raises(se.SePayError) as e:
        client.create_invoice(draft_request())
    code = e.value.reference_code
    assert code
    fresh_mock.clear_faults()
    job = client.create_invoice(draft_request(reference_code=code))
    assert job.reference_code == code and job.tracking_code is None
    assert invoices_with(fresh_mock, code) == 1


def test_reusing_a_reference_for_another_invoice_is_a_conflict_naming_the_field(
    client: se.Client, fresh_mock: Mock
) -> None:
    client.create_invoice_and_wait(draft_request(reference_code="ORDER-9"), poll_interval=0.02)
    fresh_mock.fault({"route": "create_invoice", "kind": "status", "status": 503, "times": 1})
    other = draft_request(reference_code="ORDER-9")
    other["items"][0]["unit_price"] = 90000
    with pytest.raises(se.ConflictError) as e:
        client.create_invoice(other)
    assert e.value.reference_code == "ORDER-9"
    assert e.value.field in ("items[0].unit_price", "total_amount")
    assert invoices_with(fresh_mock, "ORDER-9") == 1


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r["items"][0].update(tax_rates=10), "items[0].tax_rates"),
        (lambda r: r["items"][0].update(unit_price=float("nan")), "items[0].unit_price"),
        (lambda r: r["items"][0].update(unit_price=float("inf")), "items[0].unit_price"),
        (lambda r: r["items"][0].update(unit_price="  "), "items[0].unit_price"),
        (lambda r: r["buyer"].update(name="A\ud800B"), "buyer.name"),
        (lambda r: r["buyer"].update(name={"x"}), "buyer.name"),
        (lambda r: r["buyer"].update(name=object()), "buyer.name"),
        (lambda r: r["buyer"].update({1: "x"}), "buyer"),
        (lambda r: r.update(notes=nested(100)), "notes"),
        (lambda r: r.update(buyer=nested(5000)), "buyer"),
        (lambda r: r["buyer"].update(phone=909123456), "buyer.phone"),
        (lambda r: r.update(issued_date="0000-01-01 00:00:00"), "issued_date"),
        (lambda r: r["buyer"].update(tax_code="0101234567001"), "buyer.tax_code"),
        (lambda r: r["items"][0].update(quantity=decimal.Decimal("1.255")), "items[0].quantity"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(
    client: se.Client, fresh_mock: Mock, mutate: Any, field: str
) -> None:
    req = draft_request()
    mutate(req)
    before = fresh_mock.stats()["requests_total"]
    with pytest.raises(se.ValidationError) as e:
        client.create_invoice(req)
    assert e.value.field == field, str(e.value)
    assert "909123456" not in str(e.value)
    assert fresh_mock.stats()["requests_total"] == before


def nested(depth: int) -> Any:
    v: Any = "x"
    for _ in range(depth):
        v = [v]
    return v


def test_the_unknown_key_error_suggests_the_near_name(client: se.Client) -> None:
    req = draft_request()
    req["items"][0]["unitprice"] = req["items"][0].pop("unit_price")
    with pytest.raises(se.ValidationError) as e:
        client.create_invoice(req)
    assert e.value.field == "items[0].unitprice" and "`unit_price`" in str(e.value)


def test_repr_never_shows_a_url_password(fresh_mock: Mock) -> None:
    url = fresh_mock.url.replace("http://", "http://user:hunter2@")
    c = se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=url)
    assert "hunter2" not in repr(c) and "hunter2" not in c.base_url
    assert "hunter2" not in repr(c._native)
    c.close()


def test_an_oversized_answer_is_a_decode_error(client: se.Client, fresh_mock: Mock) -> None:
    fresh_mock.fault({"route": "get_usage", "kind": "oversize", "body_bytes": 20_000_000})
    with pytest.raises(se.DecodeError) as e:
        client.get_usage()
    assert "8 MiB" in str(e.value)
    small = se.Client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url, max_response_bytes=64
    )
    fresh_mock.clear_faults()
    with pytest.raises(se.DecodeError):
        small.list_invoices(per_page=5)
    small.close()


def test_an_endless_answer_raises_and_memory_stays_bounded(fresh_mock: Mock) -> None:
    """In a fresh interpreter (so the figure is this case's): an endless body raises
    ``DecodeError`` and the process's peak RSS stays far below what the body would take."""
    fresh_mock.fault({"route": "get_usage", "kind": "endless"})
    script = textwrap.dedent(
        f"""
        import resource, sepay_einvoice as se
        c = se.Client(client_id={CLIENT_ID!r}, client_secret={CLIENT_SECRET!r},
                      base_url={fresh_mock.url!r}, timeout=20, call_timeout=60)
        try:
            c.get_usage()
            print("no error")
        except se.DecodeError as e:
            print("decode", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    kind, peak_mib = out.stdout.split()
    assert kind == "decode"
    # 3 attempts of at most 8 MiB each, one at a time, plus the interpreter (~40 MiB).
    assert int(peak_mib) < 150, f"peak RSS {peak_mib} MiB"


def test_a_cancelled_create_keeps_the_objects_code(fresh_mock: Mock) -> None:
    """The core claims the code before sending, so an asyncio timeout or cancellation in the
    caller's code cannot make the retry take a new one (a duplicate)."""
    import asyncio

    fresh_mock.config({"pending_polls": 0, "pending_ms": 0})
    fresh_mock.fault(
        {"route": "create_invoice", "kind": "latency", "when": "after", "latency_ms": 1500, "times": 1}
    )
    req = typed_request()

    async def main() -> se.Invoice:
        async with se.AsyncClient(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url
        ) as c:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(c.create_invoice(req), 0.3)
            assert req.sent_reference_code is not None
            await asyncio.sleep(1.5)
            # Two concurrent sends of the same object share its code too.
            jobs = await asyncio.gather(c.create_invoice(req), c.create_invoice(req))
            assert {j.reference_code for j in jobs} == {req.sent_reference_code}
            return await c.wait_for_status(jobs[0], poll_interval=0.02, max_poll_interval=0.05)

    inv = asyncio.run(main())
    assert inv.reference_code == req.sent_reference_code
    assert invoices_with(fresh_mock, inv.reference_code) == 1


def test_a_sent_object_that_changed_is_refused(client: se.Client, fresh_mock: Mock) -> None:
    req = typed_request(notes="order 1001")
    first = client.create_invoice_and_wait(req, poll_interval=0.02, max_poll_interval=0.05)
    req.notes = "order 1002"
    with pytest.raises(se.ValidationError) as e:
        client.create_invoice(req)
    assert e.value.field == "notes" and e.value.reference_code == first.reference_code
    # Forgetting the code makes the object a new sale.
    req.forget_reference_code()
    assert client.create_invoice(req).reference_code != first.reference_code
