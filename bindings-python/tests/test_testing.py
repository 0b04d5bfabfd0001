"""``sepay_einvoice.testing``: the mock started in-process from the native module, its control
helpers, and the pytest plugin's fixtures (``sepay_mock``, ``sepay_mock_session``)."""

from __future__ import annotations

import asyncio
import socket
import textwrap
import urllib.error
import urllib.request

import pytest

import sepay_einvoice as se
from sepay_einvoice.testing import (
    ACCOUNT_BKAV,
    ACCOUNT_MATBAO,
    ACCOUNT_MIFI,
    MockControlError,
    MockServer,
)
from conftest import draft_request

pytest_plugins = ["pytester"]


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_mock/stats", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def test_the_context_manager_starts_and_stops_the_mock_in_process() -> None:
    with MockServer() as mock:
        assert mock.url.startswith("http://127.0.0.1:") and not mock.url.endswith("/")
        assert (mock.client_id, mock.client_secret) == ("mock_client_id", "mock_client_secret")
        assert not mock.closed and "running" in repr(mock)
        assert _reachable(mock.url)
    assert mock.closed and "closed" in repr(mock)
    assert not _reachable(mock.url)
    mock.close()  # again: nothing happens


def test_close_without_a_with_block_and_two_servers_are_independent() -> None:
    a = MockServer(quota=7)
    b = MockServer(client_id="me", client_secret="s3cret")
    try:
        assert a.url != b.url
        assert a.stats()["quota_remaining"] == 7 and b.stats()["quota_remaining"] == 1000
        assert (b.client_id, b.client_secret) == ("me", "s3cret")
        with b.client() as c:
            assert c.get_usage().quota_remaining == 1000
    finally:
        a.close()
        b.close()


def test_the_seeded_accounts_are_exported() -> None:
    assert ACCOUNT_MATBAO == "0aea3134-da40-11f0-aef4-52c7e9b4f41b"
    assert len({ACCOUNT_MATBAO, ACCOUNT_BKAV, ACCOUNT_MIFI}) == 3
    with MockServer() as mock, mock.client() as c:
        ids = {a.id for a in c.list_provider_accounts().items}
        assert {ACCOUNT_MATBAO, ACCOUNT_BKAV, ACCOUNT_MIFI} <= ids


def test_client_uses_the_mock_and_job_timing_applies() -> None:
    # pending_polls=3 and a long pending_ms: the first checks answer Pending.
    with MockServer(pending_polls=3, pending_ms=60_000) as mock, mock.client(max_retries=0) as c:
        assert c.base_url.rstrip("/") == mock.url
        job = c.create_invoice(draft_request())
        assert c.check_status(job).state == se.JobState.PENDING
        assert mock.stats()["pending_jobs"] == 1
        invoice = c.wait_for_status(job, poll_interval=0.05, timeout=10)
        assert invoice.status == se.InvoiceStatus.DRAFT
        assert mock.stats()["requests"]["check_create"]["200"] == 4
    with MockServer(pending_ms=0) as mock, mock.client() as c:
        job = c.create_invoice(draft_request())
        # Resolved on creation: the first check already says Success.
        assert c.check_status(job).state == se.JobState.SUCCESS


def test_fault_stats_clear_faults_and_bad_rules() -> None:
    with MockServer(pending_ms=0) as mock, mock.client(max_retries=0) as c:
        rule = mock.fault(route="get_usage", kind="status", status=503, times=1)
        assert isinstance(rule, int)
        assert [f["id"] for f in mock.faults()] == [rule]
        with pytest.raises(se.ServerError) as e:
            c.get_usage()
        assert e.value.status_code == 503
        assert c.get_usage().quota_remaining == 1000  # times=1: spent
        stats = mock.stats()
        assert stats["requests"]["get_usage"] == {"503": 1, "200": 1}
        assert stats["tokens_issued"] == 1
        # `except_` stands for the rule key `except`.
        mock.fault(route="*", except_=["token"], kind="status", status=500)
        with pytest.raises(se.ServerError):
            c.get_usage()
        mock.clear_faults()
        assert mock.faults() == []
        assert c.get_usage().quota_remaining == 1000
        with pytest.raises(MockControlError) as bad:
            mock.fault(route="get_usage", kind="status", tims=1)
        assert bad.value.status == 400 and "tims" in str(bad.value)


def test_config_reset_and_expire_tokens() -> None:
    with MockServer(pending_ms=0, quota=2) as mock, mock.client(max_retries=0) as c:
        cfg = mock.config()
        assert cfg["quota"] == 2 and cfg["pending_ms"] == 0
        cfg = mock.config(quota=0, pending_polls=0, token_ttl=60)
        assert (cfg["quota"], cfg["pending_polls"], cfg["token_ttl_secs"]) == (0, 0, 60)
        with pytest.raises(se.QuotaExceededError):
            c.create_invoice(draft_request(is_draft=False))
        c.create_invoice_and_wait(draft_request(), poll_interval=0.05)
        assert len(mock.invoices()) == 4  # 3 seeded manual invoices + the draft
        mock.expire_tokens()
        c.get_usage()  # logs in again
        assert mock.stats()["tokens_issued"] == 2
        mock.reset()
        assert mock.config()["quota"] == 2  # back to the startup settings
        stats = mock.stats()
        assert stats["invoices"] == 3 and stats["requests_total"] == 0
        with pytest.raises(MockControlError):
            mock.config(file_not_ready="later")  # type: ignore[arg-type]


def test_async_client() -> None:
    async def main(mock: MockServer) -> int:
        async with mock.async_client() as c:
            invoice = await c.create_invoice_and_wait(draft_request(), poll_interval=0.05)
            assert invoice.status == se.InvoiceStatus.DRAFT
            return (await c.get_usage()).quota_remaining

    with MockServer(pending_ms=0) as mock:
        assert asyncio.run(main(mock)) == 1000


def test_bad_settings_and_a_busy_port() -> None:
    with pytest.raises(ValueError):
        MockServer(host="localhost")  # an IP address is needed
    with pytest.raises(ValueError):
        MockServer(file_not_ready="later")  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        MockServer(quota=-1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(OSError):
            MockServer(port=s.getsockname()[1])


def test_a_fixed_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with MockServer(port=port) as mock:
        assert mock.url == f"http://127.0.0.1:{port}"


def test_the_function_fixture(sepay_mock: MockServer) -> None:
    assert not sepay_mock.closed
    with sepay_mock.client() as c:
        assert c.get_usage().quota_remaining == 1000


@pytest.mark.sepay_mock(quota=3, pending_ms=0)
def test_the_function_fixture_takes_the_marker(sepay_mock: MockServer) -> None:
    assert sepay_mock.config()["quota"] == 3
    assert sepay_mock.config()["pending_ms"] == 0


def test_the_plugin_is_registered_by_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from sepay_einvoice.testing import MockServer

            URLS = []

            def test_one(sepay_mock: MockServer) -> None:
                URLS.append(sepay_mock.url)
                with sepay_mock.client() as c:
                    c.get_usage()
                assert sepay_mock.stats()["requests"]["get_usage"] == {"200": 1}

            def test_two_gets_a_fresh_one(sepay_mock: MockServer) -> None:
                assert sepay_mock.url not in URLS
                assert sepay_mock.stats()["requests_total"] == 0

            @pytest.mark.sepay_mock(quota=5)
            def test_marker(sepay_mock: MockServer) -> None:
                assert sepay_mock.stats()["quota_remaining"] == 5

            def test_session_a(sepay_mock_session: MockServer) -> None:
                URLS.append(sepay_mock_session.url)
                sepay_mock_session.config(quota=9)

            def test_session_b_is_the_same_server(sepay_mock_session: MockServer) -> None:
                assert sepay_mock_session.url == URLS[-1]
                assert sepay_mock_session.config()["quota"] == 9  # not reset between tests
                sepay_mock_session.reset()
                assert sepay_mock_session.config()["quota"] == 1000
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=5)


def test_the_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(sepay_mock): pass\n")
    result = pytester.runpytest("-p", "no:sepay_einvoice", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'sepay_mock' not found*"])
