"""Replacement and adjustment invoices, preflight, ``problems`` on errors and the account-check
settings, through the sync and the async client against the mock."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Dict, List

import pytest

import sepay_einvoice as se
from conftest import draft_request, vn_series
from mockctl import CLIENT_ID, CLIENT_SECRET, Mock

FAST: Dict[str, Any] = {"poll_interval": 0.05, "max_poll_interval": 0.1, "timeout": 20}


def client(mock: Mock, **kw: Any) -> se.Client:
    return se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url, **kw)


def async_client(mock: Mock, **kw: Any) -> se.AsyncClient:
    return se.AsyncClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url, **kw)


def issued(c: se.Client) -> se.Invoice:
    return c.create_invoice_and_wait(draft_request(is_draft=False), **FAST)


def reads(mock: Mock, route: str) -> int:
    return sum(mock.stats().get("requests", {}).get(route, {}).values())


def several_problems() -> Dict[str, Any]:
    """A request with three independent errors: bad e-mail, unknown VAT rate, a series of no
    shape."""
    return draft_request(
        invoice_series="X",
        buyer={"name": "Công ty ABC", "email": "not-an-email"},
        items=[{"item_name": "Sản phẩm A", "quantity": 1, "unit_price": 100000, "tax_rate": 7}],
    )


# ---- replacement ----------------------------------------------------------------------------


def test_replace_invoice_and_wait_then_a_second_replacement_is_refused(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    original = issued(c)
    replacement = c.replace_invoice_and_wait(
        original.reference_code, draft_request(is_draft=False), **FAST
    )
    assert isinstance(replacement, se.Invoice)
    assert replacement.reference_code != original.reference_code
    assert replacement.status == se.InvoiceStatus.ISSUED

    with pytest.raises(se.CorrectionRefusedError) as e:
        c.replace_invoice(original.reference_code, draft_request(is_draft=False))
    err = e.value
    assert isinstance(err, se.UnprocessableEntityError) and isinstance(err, se.ApiError)
    assert err.kind == "CorrectionRefused" and err.code == "CORRECTION_REFUSED"
    assert err.api_code == "INVOICE_ALREADY_REPLACED"
    assert err.problems == []
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is se.CorrectionRefusedError and back.api_code == err.api_code


def test_replace_invoice_returns_a_replace_job_and_remembers_its_reference_code(
    fresh_mock: Mock,
) -> None:
    c = client(fresh_mock)
    original = issued(c)
    request = se.CreateInvoice.from_dict(draft_request(is_draft=False))
    job = c.replace_invoice(original.reference_code, request)
    assert job.kind == se.JobKind.REPLACE
    # The exactly-once memory holds the correction's own reference code.
    assert request.sent_reference_code == job.reference_code
    invoice = c.wait_for_status(job, **FAST)
    assert invoice.reference_code == job.reference_code
    # Sending the same object again finds the same replacement instead of making a second one.
    again = c.replace_invoice(original.reference_code, request)
    assert again.reference_code == job.reference_code


def test_replace_of_an_unknown_original_is_an_error(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    with pytest.raises(se.ApiError):
        c.replace_invoice("no-such-invoice", draft_request(is_draft=False))


def test_replace_with_a_bad_original_argument_is_a_validation_error(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    before = fresh_mock.stats()["requests_total"]
    with pytest.raises(se.ValidationError) as e:
        c.replace_invoice(123, draft_request())  # type: ignore[arg-type]
    assert e.value.field == "original_invoice_reference_code"
    with pytest.raises(se.ValidationError) as e:
        c.replace_invoice("", draft_request())
    assert e.value.field == "original_invoice_reference_code"
    assert fresh_mock.stats()["requests_total"] == before


# ---- adjustment -----------------------------------------------------------------------------


def test_adjust_increase_and_decrease(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    original = issued(c)
    up = c.adjust_invoice_and_wait(
        original.reference_code,
        se.AdjustmentType.INCREASE,
        draft_request(is_draft=False),
        **FAST,
    )
    assert up.reference_code != original.reference_code
    down_request = draft_request(
        is_draft=False,
        items=[{"item_name": "Sản phẩm A", "quantity": 1, "unit_price": -50000, "tax_rate": 10}],
    )
    job = c.adjust_invoice(original.reference_code, "decrease", down_request)
    assert job.kind == se.JobKind.ADJUST
    down = c.wait_for_status(job, **FAST)
    assert down.reference_code == job.reference_code
    # The original stays in force and can be adjusted again; it lists its adjustments.
    after = c.get_invoice(original.reference_code)
    assert up.reference_code in after.adjusted_by and down.reference_code in after.adjusted_by


def test_adjust_refuses_an_unknown_type_and_a_line_of_the_wrong_sign(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    before = fresh_mock.stats()["requests_total"]
    with pytest.raises(se.ValidationError) as e:
        c.adjust_invoice("some-original", "sideways", draft_request(is_draft=False))
    assert e.value.field == "adjustment_type"
    assert any(p.field == "adjustment_type" for p in e.value.problems)
    with pytest.raises(se.ValidationError) as e:
        # A decrease whose line raises the amount.
        c.adjust_invoice("some-original", se.AdjustmentType.DECREASE, draft_request(is_draft=False))
    assert e.value.field is not None and e.value.field.startswith("items[0]")
    assert fresh_mock.stats()["requests_total"] == before


# ---- preflight and problems -----------------------------------------------------------------


def test_preflight_reports_every_problem_at_once_and_sends_nothing(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    invoices = fresh_mock.stats()["invoices"]
    result = c.preflight(several_problems())
    assert isinstance(result, se.Preflight)
    fields = [p.field for p in result.problems]
    assert {"buyer.email", "items[0].tax_rate", "invoice_series"} <= set(fields)
    assert not result.ok
    assert len(result.errors) >= 3
    assert all(p.severity == se.Severity.ERROR for p in result.errors)
    assert all(p.severity == se.Severity.WARNING for p in result.warnings)
    assert len(result.errors) + len(result.warnings) == len(result.problems)
    # Errors come first.
    severities = [p.severity for p in result.problems]
    assert severities == sorted(severities, key=lambda s: s != se.Severity.ERROR)
    for p in result.problems:
        assert isinstance(p, se.Problem) and p.rule and p.message
    # A preflight creates nothing.
    assert fresh_mock.stats()["invoices"] == invoices
    assert se.Preflight.from_dict(result.to_dict()) == result
    assert pickle.loads(pickle.dumps(result)) == result


def test_preflight_of_a_sound_request_is_ok(fresh_mock: Mock) -> None:
    result = client(fresh_mock).preflight(draft_request())
    assert result.ok and result.errors == []


def test_a_validation_error_carries_every_problem(fresh_mock: Mock) -> None:
    c = client(fresh_mock)
    with pytest.raises(se.ValidationError) as e:
        c.create_invoice(several_problems())
    err = e.value
    assert len([p for p in err.problems if p.severity == se.Severity.ERROR]) >= 3
    # The error's own field is the first problem.
    assert err.problems[0].field == err.field
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and all(isinstance(p, se.Problem) for p in back.problems)
    # Errors that are not about the request's content have none.
    with pytest.raises(se.NotFoundError) as nf:
        c.get_invoice("no-such-invoice")
    assert nf.value.problems == []
    assert se.SePayError("x").problems == []


# ---- client settings ------------------------------------------------------------------------


def test_account_checks_read_the_account_once_and_can_be_turned_off(fresh_mock: Mock) -> None:
    bad_pair = draft_request(invoice_series=vn_series("TZZ"))
    c = client(fresh_mock)
    rules = [p.rule for p in c.preflight(bad_pair).problems]
    assert "account-template" in rules
    c.preflight(bad_pair)
    assert reads(fresh_mock, "get_provider_account") == 1  # cached (default TTL 300 s)

    off = client(fresh_mock, account_checks=False)
    rules = [p.rule for p in off.preflight(bad_pair).problems]
    assert not any(r.startswith("account-") for r in rules)
    assert reads(fresh_mock, "get_provider_account") == 1

    no_cache = client(fresh_mock, account_cache_ttl=0)
    no_cache.preflight(bad_pair)
    no_cache.preflight(bad_pair)
    assert reads(fresh_mock, "get_provider_account") == 3


def test_strict_rules_turn_extendable_warnings_into_errors(fresh_mock: Mock) -> None:
    # 8 % VAT on a date outside every reduced-rate window (early 2023).
    req = draft_request(
        invoice_series="C23TSE",
        issued_date="2023-03-01 08:00:00",
        items=[{"item_name": "Sản phẩm A", "quantity": 1, "unit_price": 100000, "tax_rate": 8}],
    )

    def severity(c: se.Client) -> List[str]:
        return [str(p.severity) for p in c.preflight(req).problems if p.rule == "vat-8-window"]

    assert severity(client(fresh_mock, account_checks=False)) == ["warning"]
    assert severity(client(fresh_mock, account_checks=False, strict_rules=True)) == ["error"]


def test_bad_settings_are_validation_errors() -> None:
    cases: List[Any] = [
        ({"account_checks": "yes"}, "account_checks"),
        ({"strict_rules": 1}, "strict_rules"),
        ({"account_cache_ttl": -1}, "account_cache_ttl"),
        ({"account_cache_ttl": "5"}, "account_cache_ttl"),
    ]
    for kw, field in cases:
        with pytest.raises(se.ValidationError) as e:
            se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kw)
        assert e.value.field == field
    assert se.DEFAULTS["account_cache_ttl"] == 300.0


# ---- the asyncio client ---------------------------------------------------------------------


def test_async_replace_adjust_and_preflight(fresh_mock: Mock) -> None:
    async def main() -> None:
        async with async_client(fresh_mock) as c:
            original = await c.create_invoice_and_wait(draft_request(is_draft=False), **FAST)
            seen: List[str] = []
            adjusted = await c.adjust_invoice_and_wait(
                original.reference_code,
                "info",
                draft_request(
                    is_draft=False,
                    items=[{"item_name": "Tên đúng", "quantity": 1, "unit_price": 0, "tax_rate": 10}],
                ),
                on_status=lambda s: seen.append(str(s.state)),
                **FAST,
            )
            assert seen and seen[-1] == "Success"
            replaced = await c.replace_invoice_and_wait(
                original.reference_code, draft_request(is_draft=False), **FAST
            )
            assert len({original.reference_code, adjusted.reference_code, replaced.reference_code}) == 3
            with pytest.raises(se.CorrectionRefusedError):
                await c.replace_invoice(original.reference_code, draft_request(is_draft=False))
            job = await c.adjust_invoice(
                replaced.reference_code, se.AdjustmentType.INCREASE, draft_request(is_draft=False)
            )
            assert job.kind == se.JobKind.ADJUST
            result = await c.preflight(several_problems())
            assert not result.ok and len(result.errors) >= 3

    asyncio.run(main())
