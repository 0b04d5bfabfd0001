"""Exception classes: hierarchy, attributes from real failures, pickling."""

from __future__ import annotations

import asyncio
import pickle

import pytest

import sepay_einvoice as se
from conftest import draft_request
from mockctl import CLIENT_ID, CLIENT_SECRET, Mock

API = [
    se.BadRequestError,
    se.AuthenticationError,
    se.PermissionDeniedError,
    se.QuotaExceededError,
    se.NotFoundError,
    se.ConflictError,
    se.UnprocessableEntityError,
    se.CorrectionRefusedError,
    se.RateLimitError,
    se.ServerError,
]
OTHER = [
    se.ValidationError,
    se.APITimeoutError,
    se.APIConnectionError,
    se.DecodeError,
    se.InvoiceFailedError,
    se.WaitTimeoutError,
]


def client(mock: Mock, **kw: object) -> se.Client:
    return se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url, **kw)  # type: ignore[arg-type]


def test_hierarchy() -> None:
    for cls in API:
        assert issubclass(cls, se.ApiError) and issubclass(cls, se.SePayError)
    for cls in OTHER:
        assert issubclass(cls, se.SePayError) and not issubclass(cls, se.ApiError)
    assert issubclass(se.QuotaExceededError, se.PermissionDeniedError)
    assert issubclass(se.CorrectionRefusedError, se.UnprocessableEntityError)
    assert issubclass(se.ValidationError, ValueError)
    assert issubclass(se.SePayError, Exception)


@pytest.mark.parametrize("cls", API + OTHER + [se.SePayError, se.ApiError])
def test_every_class_pickles(cls: type) -> None:
    err = cls("boom", status_code=404, api_code="X", request_id="req_1", field="f", attempts=2)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert (back.status_code, back.api_code, back.request_id, back.field, back.attempts, str(back)) == (
        404,
        "X",
        "req_1",
        "f",
        2,
        "boom",
    )


def test_api_error_attributes(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    with pytest.raises(se.NotFoundError) as e:
        c.get_invoice("no-such-invoice")
    err = e.value
    assert err.status_code == 404 and err.kind == "NotFound" and err.code == "NOT_FOUND"
    assert err.request_id and err.request_id.startswith("req_")
    assert err.api_code and err.message and err.attempts == 1
    assert err.path == "/v1/invoices/no-such-invoice" and err.method == "GET"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is se.NotFoundError and back.request_id == err.request_id


def test_authentication_error(fresh_mock: Mock) -> None:
    c = se.Client(client_id="wrong", client_secret="wrong", base_url=fresh_mock.url)
    with pytest.raises(se.AuthenticationError) as e:
        c.authenticate()
    assert e.value.status_code == 401 and "wrong" not in str(e.value)


def test_quota_and_rate_limit(fresh_mock: Mock) -> None:
    fresh_mock.config({"quota": 0})
    c = client(fresh_mock, max_retries=0)
    with pytest.raises(se.QuotaExceededError) as e:
        c.create_invoice(draft_request(is_draft=False))
    assert e.value.api_code == "QUOTA_EXCEEDED" and e.value.status_code == 403
    assert e.value.reference_code
    fresh_mock.fault({"route": "get_usage", "kind": "status", "status": 429, "retry_after": 1, "times": 1})
    with pytest.raises(se.RateLimitError) as r:
        c.get_usage()
    assert r.value.retry_after == 1.0 and r.value.retryable


def test_server_error_after_retries(fresh_mock: Mock) -> None:
    fresh_mock.fault({"route": "get_usage", "kind": "status", "status": 503, "times": 5})
    with pytest.raises(se.ServerError) as e:
        client(fresh_mock, max_retries=1).get_usage()
    assert e.value.attempts == 2 and e.value.status_code == 503


def test_connection_and_timeout_errors(fresh_mock: Mock) -> None:
    dead = se.Client(client_id="a", client_secret="b", base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(se.APIConnectionError):
        dead.get_usage()
    fresh_mock.fault({"route": "get_usage", "kind": "latency", "latency_ms": 2000, "times": 1})
    with pytest.raises(se.APITimeoutError):
        client(fresh_mock, timeout=0.3, max_retries=0).get_usage()


def test_decode_error(fresh_mock: Mock) -> None:
    fresh_mock.fault({"route": "get_usage", "kind": "malformed", "times": 5})
    with pytest.raises(se.DecodeError):
        client(fresh_mock, max_retries=0).get_usage()


def test_invoice_failed_carries_the_job(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    job = c.create_invoice(draft_request(notes="[mock:fail]"))
    with pytest.raises(se.InvoiceFailedError) as e:
        c.wait_for_status(job, poll_interval=0.1)
    err = e.value
    assert err.job == job and err.tracking_code == job.tracking_code
    assert err.last_status is not None and err.last_status.state is se.JobState.FAILED
    assert "mock:fail" in err.message
    back = pickle.loads(pickle.dumps(err))
    assert back.job == job and back.last_status == err.last_status


def test_wait_timeout_can_be_resumed(fresh_mock: Mock) -> None:
    fresh_mock.config({"pending_polls": 100, "pending_ms": 1500})
    c = client(fresh_mock)
    job = c.create_invoice(draft_request())
    with pytest.raises(se.WaitTimeoutError) as e:
        c.wait_for_status(job, timeout=0.5, poll_interval=0.1)
    assert e.value.job == job
    inv = c.wait_for_status(e.value.job, timeout=10, poll_interval=0.2)
    assert inv.reference_code == job.reference_code


def test_async_errors_are_the_same_classes(fresh_mock: Mock) -> None:
    async def main() -> None:
        async with se.AsyncClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=fresh_mock.url) as c:
            with pytest.raises(se.NotFoundError):
                await c.get_invoice("nope")
            with pytest.raises(se.ValidationError) as e:
                await c.create_invoice({"items": []})
            assert e.value.field
            job = await c.create_invoice(draft_request(notes="[mock:fail]"))
            with pytest.raises(se.InvoiceFailedError):
                await c.wait_for_status(job, poll_interval=0.1)

    asyncio.run(main())


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(se.ValidationError) as e:
        se.Client(client_id="a", client_secret="b", environment="staging")
    assert e.value.field == "environment"
    with pytest.raises(se.ValidationError) as e2:
        se.Client(client_id="a", client_secret="b", base_url="http://127.0.0.1:1", timeout=-1)
    assert e2.value.field == "timeout"
