"""Settings from environment variables: ``SEPAY_EINVOICE_LOG`` takes the Node package's and the
CLI's filter directives, and an explicit ``environment=`` wins over ``SEPAY_EINVOICE_BASE_URL``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Dict

import pytest

import sepay_einvoice as se
from sepay_einvoice import _native
from conftest import draft_request
from mockctl import CLIENT_SECRET, Mock

SDK = ["sepay_einvoice", "sepay_einvoice_batch", "sepay_einvoice_native"]


def test_a_bare_level_is_the_sdks_level() -> None:
    assert _native.log_directives("debug") == ([(n, 10) for n in SDK], [])
    assert _native.log_directives(" TRACE ") == ([(n, 5) for n in SDK], [])
    assert _native.log_directives("off") == ([(n, 60) for n in SDK], [])


def test_target_directives_as_in_node_and_the_cli() -> None:
    directives, ignored = _native.log_directives("sepay_einvoice=debug,hyper=warn")
    assert ignored == []
    # `sepay_einvoice` covers the SDK's other crates too, as EnvFilter's prefix match does.
    assert directives == [(n, 10) for n in SDK] + [("hyper", 30)]
    directives, _ = _native.log_directives("info,sepay_einvoice::transport=trace,reqwest")
    assert directives == [(n, 20) for n in SDK] + [
        ("sepay_einvoice.transport", 5),
        ("reqwest", 5),  # a bare target: every level
    ]
    assert _native.log_directives("hyper_util=4,rustls=ERROR")[0] == [
        ("hyper_util", 10),
        ("rustls", 40),
    ]


def test_what_is_not_a_directive_is_ignored() -> None:
    directives, ignored = _native.log_directives("sepay_einvoice[call]=debug, nonsense!, x=loud,warn")
    assert directives == [(n, 30) for n in SDK]
    assert ignored == ["sepay_einvoice[call]=debug", "nonsense!", "x=loud"]


def run_with_log(spec: str, code: str) -> subprocess.CompletedProcess[str]:
    env: Dict[str, str] = dict(os.environ, SEPAY_EINVOICE_LOG=spec)
    env.pop("SEPAY_EINVOICE_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def calls(url: str) -> str:
    return f"""
        import logging
        import sepay_einvoice as se
        c = se.Client(client_id="mock_client_id", client_secret="mock_client_secret", base_url={url!r})
        c.get_usage()
        print(logging.getLogger("hyper").level, logging.getLogger("sepay_einvoice").level)
        """


def debug_loggers(stderr: str) -> set[str]:
    return {line.split()[3].rstrip(":") for line in stderr.splitlines() if " DEBUG " in line}


def test_env_filter_directives_reach_python_logging(fresh_mock: Mock) -> None:
    out = run_with_log("sepay_einvoice=debug,hyper=warn", calls(fresh_mock.url))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["30", "10"], "hyper at WARNING, the SDK at DEBUG"
    loggers = debug_loggers(out.stderr)
    assert loggers and all(n.startswith("sepay_einvoice") for n in loggers), out.stderr
    assert CLIENT_SECRET not in out.stderr


def test_a_more_specific_target_wins(fresh_mock: Mock) -> None:
    out = run_with_log("warn,sepay_einvoice::transport=debug", calls(fresh_mock.url))
    assert out.returncode == 0, out.stderr
    loggers = debug_loggers(out.stderr)
    assert loggers, out.stderr
    assert all(n.startswith("sepay_einvoice.transport") for n in loggers), loggers


def test_a_quieter_level_silences_debug(fresh_mock: Mock) -> None:
    out = run_with_log("sepay_einvoice=info", calls(fresh_mock.url))
    assert out.returncode == 0, out.stderr
    assert " DEBUG " not in out.stderr, out.stderr


def test_a_bad_directive_warns_and_the_rest_applies(fresh_mock: Mock) -> None:
    out = run_with_log("nonsense!,debug", calls(fresh_mock.url))
    assert out.returncode == 0, out.stderr
    assert "SEPAY_EINVOICE_LOG: ignoring 'nonsense!'" in out.stderr
    assert debug_loggers(out.stderr), out.stderr


PRODUCTION = "https://einvoice-api.sepay.vn"


def test_explicit_environment_wins_over_the_base_url_variable(
    fresh_mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEPAY_EINVOICE_BASE_URL", fresh_mock.url)
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_ID", "mock_client_id")
    monkeypatch.setenv("SEPAY_EINVOICE_CLIENT_SECRET", "mock_client_secret")
    monkeypatch.delenv("SEPAY_EINVOICE_ENV", raising=False)
    assert se.Client(environment="production").base_url.rstrip("/") == PRODUCTION
    assert se.AsyncClient(environment="production").base_url.rstrip("/") == PRODUCTION
    # Without an explicit environment the variable decides; an explicit base_url beats both.
    assert se.Client().base_url.rstrip("/") == fresh_mock.url
    monkeypatch.setenv("SEPAY_EINVOICE_ENV", "production")
    assert se.Client().base_url.rstrip("/") == fresh_mock.url
    explicit = se.Client(environment="production", base_url=fresh_mock.url)
    assert explicit.base_url.rstrip("/") == fresh_mock.url
    assert explicit.create_invoice_and_wait(draft_request(), poll_interval=0.05).reference_code
