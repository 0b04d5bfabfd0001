"""Batch issuance from Python (``issue_batch`` and friends), sync and asyncio, against the mock
with a temporary SQLite journal: every row issued once, a re-run sends nothing, a changed row
is refused, failed rows are retried with their reference codes, and errors that stop a batch
arrive as ``ValidationError`` / ``BatchError``."""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import logging
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

import pytest

import sepay_einvoice as se
from conftest import vn_now, vn_series
from mockctl import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Mock

AnyClient = Union[se.Client, se.AsyncClient]
FAST: Dict[str, Any] = {"poll_interval": 0.02, "wait_timeout": 20.0}


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, fresh_mock: Mock) -> Iterator[AnyClient]:
    fresh_mock.config({"pending_polls": 0, "pending_ms": 20})
    settings: Dict[str, Any] = dict(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url
    )
    c: AnyClient = se.Client(**settings) if request.param == "sync" else se.AsyncClient(**settings)
    yield c
    closed = c.close()
    if inspect.iscoroutine(closed):
        asyncio.run(closed)


def call(client: AnyClient, name: str, *args: Any, **kwargs: Any) -> Any:
    """Calls a client method, running it on a fresh event loop for the asyncio client."""
    result = getattr(client, name)(*args, **kwargs)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


def journal(tmp_path: Path) -> str:
    return f"sqlite:{tmp_path / 'invoices.journal'}"


def request(i: int, **over: Any) -> Dict[str, Any]:
    """A VAT invoice to issue; odd rows leave ``issued_date`` to the batch (dated when first
    journaled, so a re-run sends the same invoice)."""
    req: Dict[str, Any] = {
        "provider_account_id": ACCOUNT,
        "template_code": "1",
        "invoice_series": vn_series(),
        "is_draft": False,
        "buyer": {"name": f"Khách hàng {i}"},
        "items": [{"item_name": "Hàng", "quantity": 1, "unit_price": 10_000 + i, "tax_rate": 10}],
        "notes": f"py batch #{i}",
    }
    if i % 2 == 0:
        req["issued_date"] = vn_now()
    req.update(over)
    return req


def rows(n: int) -> List[se.BatchRowLike]:
    """``n`` rows in every accepted form: pairs and ``BatchRow``, dicts and ``CreateInvoice``."""
    out: List[se.BatchRowLike] = []
    for i in range(n):
        key = f"ORDER-{i:04d}"
        if i % 3 == 0:
            out.append(se.BatchRow(key, se.CreateInvoice.from_dict(request(i))))
        elif i % 3 == 1:
            out.append((key, request(i)))
        else:
            out.append(se.BatchRow(key=key, request=request(i)))
    return out


def copies(mock: Mock) -> Dict[str, int]:
    """Invoices the mock holds per batch row (by its note): each must be exactly one."""
    n: Dict[str, int] = {}
    for inv in mock.request("GET", "/_mock/invoices"):
        note = inv.get("notes") or ""
        if note.startswith("py batch #"):
            n[note] = n.get(note, 0) + 1
    return n


def creates(mock: Mock) -> int:
    return sum(mock.stats()["requests"].get("create_invoice", {}).values())


def test_every_row_once_a_rerun_sends_nothing_and_a_changed_row_is_refused(
    client: AnyClient, fresh_mock: Mock, tmp_path: Path
) -> None:
    seen: List[se.BatchProgress] = []
    threads = set()

    def progress(p: se.BatchProgress) -> None:
        seen.append(p)
        threads.add(threading.get_ident())

    batch = rows(20)
    report = call(
        client, "issue_batch", batch, journal=journal(tmp_path), concurrency=4,
        on_progress=progress, **FAST,
    )
    assert isinstance(report, se.BatchReport)
    assert report.all_done, report
    assert (report.batch, report.done, report.failed, report.uncertain, report.refused) == (
        "default", 20, 0, 0, 0,
    )
    assert [r.key for r in report.rows] == [f"ORDER-{i:04d}" for i in range(20)]
    for r in report.rows:
        assert r.outcome == se.BatchOutcome.DONE and r.error is None
        assert r.invoice_number and r.pdf_url and r.reference_code
        assert r.invoice_status == "issued"
    # Each row is exactly one invoice in the mock.
    n = copies(fresh_mock)
    assert len(n) == 20 and set(n.values()) == {1}, n
    assert creates(fresh_mock) == 20

    # Progress: once at the start, then after every row; the last one counts them all.
    assert seen[0].row is None and seen[0].total == 20 and seen[0].done == 0
    assert seen[-1].done == 20 and seen[-1].total == 20
    finished = [p.row.key for p in seen if p.row is not None]
    assert sorted(finished) == [r.key for r in report.rows]
    if isinstance(client, se.AsyncClient):
        # Delivered on the event loop's thread, like on_status.
        assert threads == {threading.get_ident()}

    # A re-run of the same rows sends no create: every row is already done in the journal.
    again = call(client, "issue_batch", batch, journal=journal(tmp_path), **FAST)
    assert again.all_done and again.done == 20
    assert [r.reference_code for r in again.rows] == [r.reference_code for r in report.rows]
    assert creates(fresh_mock) == 20

    status = call(client, "batch_status", journal(tmp_path))
    assert len(status) == 20 and all(isinstance(e, se.BatchEntry) for e in status)
    assert {e.state for e in status} == {se.BatchRowState.DONE}
    assert [e.seq for e in status] == list(range(20))
    assert all(e.attempts == 1 and e.invoice_number and e.updated_at for e in status)
    assert call(client, "batch_status", journal(tmp_path), "another") == []

    # A row changed since it was journaled is refused, not re-issued; the others stay done.
    changed = list(batch)
    dearer = [{"item_name": "Hàng", "quantity": 1, "unit_price": 99_999, "tax_rate": 10}]
    changed[3] = ("ORDER-0003", request(3, items=dearer))
    r = call(client, "issue_batch", changed, journal=journal(tmp_path), **FAST)
    assert (r.done, r.refused, r.all_done) == (19, 1, False)
    refused = [x for x in r.rows if x.outcome == se.BatchOutcome.REFUSED]
    assert [x.key for x in refused] == ["ORDER-0003"]
    assert refused[0].reference_code == report.rows[3].reference_code
    assert refused[0].error is not None and refused[0].error.kind == "Changed"
    assert "changed since it was journaled" in refused[0].error.message
    assert creates(fresh_mock) == 20
    assert set(copies(fresh_mock).values()) == {1}

    # The draft override is part of the row: flipping it is a change too.
    flipped = call(client, "issue_batch", batch[:2], journal=journal(tmp_path), draft=True, **FAST)
    assert flipped.refused == 2 and creates(fresh_mock) == 20


def test_failed_rows_are_retried_with_their_reference_codes(
    client: AnyClient, fresh_mock: Mock, tmp_path: Path
) -> None:
    fresh_mock.config({"quota": 5})
    report = call(
        client, "issue_batch", rows(8), journal=journal(tmp_path), batch="q", concurrency=1, **FAST
    )
    assert (report.done, report.failed, report.all_done) == (5, 3, False), report
    failed = [r for r in report.rows if r.outcome == se.BatchOutcome.FAILED]
    assert all(r.error is not None and r.error.kind == "QuotaExceeded" for r in failed)
    assert all(r.error is not None and r.error.api_code == "QUOTA_EXCEEDED" for r in failed)
    states = [e.state for e in call(client, "batch_status", journal(tmp_path), "q")]
    assert states.count(se.BatchRowState.FAILED) == 3

    # Resuming leaves failed rows alone: they failed for certain.
    resumed = call(client, "resume_batch", journal=journal(tmp_path), batch="q", **FAST)
    assert (resumed.done, resumed.failed) == (5, 3)

    fresh_mock.config({"quota": 100})
    seen: List[se.BatchProgress] = []
    again = call(
        client, "retry_failed_batch", journal=journal(tmp_path), batch="q",
        on_progress=seen.append, **FAST,
    )
    assert again.all_done and again.done == 8, again
    assert [r.reference_code for r in again.rows] == [r.reference_code for r in report.rows]
    assert seen and seen[-1].done == 8
    n = copies(fresh_mock)
    assert len(n) == 8 and set(n.values()) == {1}, n


def test_a_raising_progress_callback_is_logged_not_raised(
    client: AnyClient, fresh_mock: Mock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def progress(p: se.BatchProgress) -> None:
        raise RuntimeError("callback bug")

    with caplog.at_level(logging.ERROR, logger="sepay_einvoice.batch"):
        report = call(
            client, "issue_batch", rows(3), journal=journal(tmp_path), on_progress=progress, **FAST
        )
    assert report.all_done
    logged = [r for r in caplog.records if r.name == "sepay_einvoice.batch"]
    assert logged and "callback bug" in (logged[0].exc_text or "")


def test_errors_that_stop_a_batch(client: AnyClient, fresh_mock: Mock, tmp_path: Path) -> None:
    j = journal(tmp_path)

    def invalid(field: str, *args: Any, **kwargs: Any) -> se.ValidationError:
        with pytest.raises(se.ValidationError) as e:
            call(client, *args, **kwargs)
        assert e.value.field == field, e.value
        return e.value

    invalid("concurrency", "issue_batch", rows(1), journal=j, concurrency=0)
    invalid("journal", "issue_batch", rows(1), journal="sqlite:")
    invalid("journal", "batch_status", 42)
    invalid("rows[1].key", "issue_batch", [("A", request(0)), (7, request(1))], journal=j)
    invalid("rows[1].key", "issue_batch", [("A", request(0)), ("A", request(1))], journal=j)
    invalid("rows[0]", "issue_batch", ["ORDER-1"], journal=j)
    invalid("rows[0].request.items[0].quantity", "issue_batch",
            [("A", request(0, items=[{"item_name": "x", "quantity": "many", "unit_price": 1}]))],
            journal=j)
    invalid("rows[0].request.bogus", "issue_batch", [("A", request(0, bogus=1))], journal=j)
    invalid("wait_timeout", "issue_batch", rows(1), journal=j, wait_timeout=0)
    invalid("draft", "issue_batch", rows(1), journal=j, draft="yes")
    assert creates(fresh_mock) == 0

    # A SQLite journal serves one process at a time: held elsewhere, the batch cannot run.
    (tmp_path / "invoices.journal.lock").touch()
    with open(tmp_path / "invoices.journal.lock", "r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(se.BatchError) as e:
            call(client, "issue_batch", rows(2), journal=j)
        assert e.value.kind == "Journal" and e.value.code == "BATCH_JOURNAL"
        assert isinstance(e.value, se.SePayError)
        assert "in use by another process" in str(e.value)
        # Reading it is fine beside the holder (read-only), as `batch status` does.
        assert call(client, "batch_status", j) == []
    # A journal that does not exist is an error, not a new empty journal.
    with pytest.raises(se.BatchError):
        call(client, "batch_status", f"sqlite:{tmp_path / 'nope.journal'}")
    assert not (tmp_path / "nope.journal").exists()
    assert creates(fresh_mock) == 0
    # Once released (and after every call above), the journal opens again.
    assert call(client, "batch_status", j) == []
