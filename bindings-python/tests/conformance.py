"""The Python runner of the shared conformance scenarios (tests/conformance/README.md), for the
sync ``Client`` and the ``AsyncClient``."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import logging
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import jsonschema

import sepay_einvoice as se
from mockctl import CLIENT_ID, CLIENT_SECRET, REPO, Mock

CONFORMANCE_DIR = REPO / "tests" / "conformance"
SCENARIOS = CONFORMANCE_DIR / "scenarios"

WAIT_CALLS = {
    "wait_for_status",
    "create_invoice_and_wait",
    "issue_invoice_and_wait",
    "replace_invoice_and_wait",
    "adjust_invoice_and_wait",
}


class StepFailed(AssertionError):
    pass


# ---- secret scan ----------------------------------------------------------------------------


class _Scan(logging.Handler):
    """Collects every SDK log record (DEBUG and up) and every ``repr``/``str`` of results,
    errors (with all their attributes) and clients; the secrets are the client secrets used,
    every token the mock issued and the buyers' tax codes, e-mails, phones and national ids in
    the scenarios. ``leaks()`` looks for each secret in each collected text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.outputs: List[str] = []
        self.secrets: set = set()
        self.log_lines = 0
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.log_lines += 1
        self.outputs.append(self.format(record))

    def secret(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 8:
            self.secrets.add(value)

    def collect_pii(self, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("tax_code", "email", "phone", "national_id", "client_secret"):
                    self.secret(x)
                else:
                    self.collect_pii(x)
        elif isinstance(v, list):
            for x in v:
                self.collect_pii(x)

    def observe(self, value: Any) -> None:
        self.outputs.append(repr(value))
        self.outputs.append(str(value))
        if isinstance(value, BaseException):
            for attr in vars(value).values():
                self.outputs.append(repr(attr))

    def leaks(self) -> List[str]:
        found = []
        for secret in self.secrets:
            for text in self.outputs:
                if secret in text:
                    found.append(text.replace(secret, "<SECRET>")[:300])
        return found


SCAN = _Scan()
SCAN.secret(CLIENT_SECRET)
_logger = logging.getLogger("sepay_einvoice")
_logger.addHandler(SCAN)
_logger.setLevel(logging.DEBUG)


def scenario_files() -> List[Path]:
    return sorted(SCENARIOS.glob("*.json")) if SCENARIOS.is_dir() else []


# ---- the format as a checked spec -----------------------------------------------------------


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((CONFORMANCE_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _schema_errors(validator: jsonschema.Draft202012Validator, value: Any) -> List[str]:
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in list(validator.iter_errors(value))[:5]
    ]


_SCENARIO_SCHEMA = _validator("scenario.schema.json")
_FIXTURES: Dict[str, Any] = json.loads(
    (CONFORMANCE_DIR / "fixtures" / "requests.json").read_text(encoding="utf-8")
)
_bad_fixtures = _schema_errors(_validator("fixtures/requests.schema.json"), _FIXTURES)
if _bad_fixtures:
    raise StepFailed("fixtures/requests.json: " + "; ".join(_bad_fixtures))


def _resolve(value: Any) -> Any:
    """Replaces every ``{"$fixture": name, ...}`` object by a copy of the fixture's request with
    the object's other keys laid over it."""
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: Dict[str, Any] = {}
    if "$fixture" in value:
        name = value["$fixture"]
        fixture = _FIXTURES.get(name) if isinstance(name, str) else None
        if fixture is None:
            raise StepFailed(f"unknown fixture {name!r}")
        out = json.loads(json.dumps(fixture["request"]))
    for k, v in value.items():
        if k != "$fixture":
            out[k] = _resolve(v)
    return out


def prepare(raw: Any) -> Dict[str, Any]:
    """A scenario as the runner uses it: checked against scenario.schema.json, fixtures
    resolved. A misspelt key or an unknown fixture fails the scenario."""
    bad = _schema_errors(_SCENARIO_SCHEMA, raw)
    if bad:
        raise StepFailed("does not match scenario.schema.json: " + "; ".join(bad))
    resolved: Dict[str, Any] = _resolve(raw)
    return resolved


def load(path: Path) -> Dict[str, Any]:
    return prepare(json.loads(path.read_text(encoding="utf-8")))


# ---- values ---------------------------------------------------------------------------------


def _vn_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None) - dt.timedelta(
        minutes=1
    )


def _lookup(saved: Dict[str, Any], ref: str) -> Tuple[bool, Any]:
    name, *path = ref.split(".")
    if name not in saved:
        return False, None
    value = saved[name]
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False, None
    return True, value


def substitute(value: Any, saved: Dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        token = value[1:]
        if token == "now":
            return _vn_now().strftime("%Y-%m-%d %H:%M:%S")
        if token.startswith("series:"):
            # A series of the year `$now` falls in: `$series:TSE` is C26TSE in 2026.
            return "C" + _vn_now().strftime("%y") + token[len("series:"):]
        if token == "tomorrow":
            return (_vn_now() + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        if token == "uuid":
            return str(uuid.uuid4())
        found, v = _lookup(saved, token)
        if not found:
            raise StepFailed(f"nothing saved at {value}")
        return v
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


# ---- matching -------------------------------------------------------------------------------


def _num(v: Any) -> Optional[Decimal]:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        return Decimal(str(v))
    if isinstance(v, str):
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            return None
    return None


_MISSING = object()


def match(actual: Any, expected: Any, saved: Dict[str, Any], path: str = "$") -> None:
    def fail(msg: str) -> None:
        raise StepFailed(f"{path}: {msg} (got {actual!r}, expected {expected!r})")

    present = actual is not _MISSING and actual is not None
    if isinstance(expected, str) and expected.startswith("$"):
        if expected == "$any":
            if not present:
                fail("expected a value")
            return
        if expected == "$absent":
            if present:
                fail("expected no value")
            return
        found, want = _lookup(saved, expected[1:])
        if not found:
            raise StepFailed(f"at {path or '(root)'}: nothing saved at {expected}")
        match(actual, want, saved, path)
        return
    if isinstance(expected, dict) and expected and all(k.startswith("$") for k in expected):
        for op, arg in expected.items():
            if op == "$len":
                if not isinstance(actual, (list, str, dict)) or len(actual) != arg:
                    fail(f"length should be {arg}")
            elif op in ("$gte", "$lte"):
                a, b = _num(actual), _num(arg)
                if a is None or b is None or (a < b if op == "$gte" else a > b):
                    fail(f"should be {op[1:]} {arg}")
            elif op == "$startsWith":
                if not isinstance(actual, str) or not actual.startswith(arg):
                    fail(f"should start with {arg!r}")
            elif op == "$contains":
                if not isinstance(actual, str) or arg not in actual:
                    fail(f"should contain {arg!r}")
            elif op == "$each":
                if not isinstance(actual, list):
                    fail("should be an array")
                for i, item in enumerate(actual):
                    match(item, arg, saved, f"{path}[{i}]")
            else:
                raise StepFailed(f"{path}: unknown matcher {op}")
        return
    if expected is None:
        if present:
            fail("expected null")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            fail("expected an object")
        for k, v in expected.items():
            match(actual.get(k, _MISSING), v, saved, f"{path}.{k}")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            fail("expected an array of the same length")
        for i, (a, e) in enumerate(zip(actual, expected)):
            match(a, e, saved, f"{path}[{i}]")
        return
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        a = _num(actual)
        if a is None or a != Decimal(str(expected)):
            fail("numbers differ")
        return
    if actual != expected:
        fail("values differ")


# ---- calls ----------------------------------------------------------------------------------


def _wait_kwargs(args: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, name in (
        ("timeout_ms", "timeout"),
        ("poll_interval_ms", "poll_interval"),
        ("max_poll_interval_ms", "max_poll_interval"),
    ):
        if args.get(key) is not None:
            out[name] = args[key] / 1000.0
    return out


def _canonical(call: str, result: Any) -> Any:
    if result is None:
        return None
    if call == "download_invoice":
        return {
            "file_type": str(result.file_type),
            "file_name": result.file_name,
            "size": len(result.content),
            "head": result.content[:8].decode("latin-1"),
        }
    if isinstance(result, list):
        return [r.to_dict() for r in result]
    # Round-trip through JSON so numbers and strings look as they would on the wire.
    return json.loads(json.dumps(result.to_dict()))


def _plan(client: Any, call: str, args: Dict[str, Any], on_status: Callable[[Any], None]) -> Any:
    """The bound method and its arguments for a scenario call."""
    a = args
    if call == "authenticate":
        return client.authenticate()
    if call == "list_provider_accounts":
        return client.list_provider_accounts(page=a.get("page"), per_page=a.get("per_page"))
    if call == "get_provider_account":
        return client.get_provider_account(a.get("id"))
    if call == "create_invoice":
        return client.create_invoice(a.get("request"))
    if call == "issue_invoice":
        return client.issue_invoice(a.get("reference_code"))
    if call == "check_status":
        return client.check_status(a.get("job"))
    if call == "wait_for_status":
        return client.wait_for_status(a.get("job"), on_status=on_status, **_wait_kwargs(a))
    if call == "create_invoice_and_wait":
        return client.create_invoice_and_wait(
            a.get("request"), on_status=on_status, **_wait_kwargs(a)
        )
    if call == "issue_invoice_and_wait":
        return client.issue_invoice_and_wait(
            a.get("reference_code"), on_status=on_status, **_wait_kwargs(a)
        )
    if call == "replace_invoice":
        return client.replace_invoice(a.get("original_invoice_reference_code"), a.get("request"))
    if call == "adjust_invoice":
        return client.adjust_invoice(
            a.get("original_invoice_reference_code"), a.get("adjustment_type"), a.get("request")
        )
    if call == "replace_invoice_and_wait":
        return client.replace_invoice_and_wait(
            a.get("original_invoice_reference_code"),
            a.get("request"),
            on_status=on_status,
            **_wait_kwargs(a),
        )
    if call == "adjust_invoice_and_wait":
        return client.adjust_invoice_and_wait(
            a.get("original_invoice_reference_code"),
            a.get("adjustment_type"),
            a.get("request"),
            on_status=on_status,
            **_wait_kwargs(a),
        )
    if call == "preflight":
        return client.preflight(a.get("request"))
    if call == "get_invoice":
        return client.get_invoice(a.get("reference_code"))
    if call == "list_invoices":
        return client.list_invoices(
            page=a.get("page"), per_page=a.get("per_page"), source=a.get("source")
        )
    if call == "iter_invoices":
        return client.iter_invoices(per_page=a.get("per_page"), source=a.get("source"))
    if call == "download_invoice":
        return client.download_invoice(a.get("reference_code"), a.get("type", "pdf"))
    if call == "delete_draft":
        return client.delete_draft(a.get("reference_code"))
    if call == "get_usage":
        return client.get_usage()
    if call == "totals":
        return client.totals(a.get("request"))
    raise StepFailed(f"unknown call {call!r}")


def _sync_invoke(client: Any, call: str, args: Dict[str, Any], on_status: Any) -> Any:
    out = _plan(client, call, args, on_status)
    if call == "iter_invoices":
        out = list(out)
    return out


async def _async_invoke(client: Any, call: str, args: Dict[str, Any], on_status: Any) -> Any:
    out = _plan(client, call, args, on_status)
    if call == "iter_invoices":
        return [inv async for inv in out]
    if inspect.isawaitable(out):
        out = await out
    return out


def _error_canonical(err: se.SePayError) -> Dict[str, Any]:
    return {
        "kind": err.kind,
        "status": err.status_code,
        "api_code": err.api_code,
        "field": err.field,
        "attempts": err.attempts,
        "message": err.message,
        "reference_code": err.reference_code,
        "tracking_code": err.tracking_code,
        "job": None if err.job is None else err.job.to_dict(),
        "retryable": err.retryable,
        "ambiguous": err.ambiguous,
        "problems": [p.to_dict() for p in err.problems],
    }


def _check_error(err: se.SePayError, want: Dict[str, Any], saved: Dict[str, Any]) -> None:
    exp = {k: v for k, v in want.items() if k != "message_contains"}
    try:
        match(_error_canonical(err), exp, saved, "error")
    except StepFailed as e:
        raise StepFailed(f"{e} ({err!r})") from None
    if "message_contains" in want:
        text = f"{err.message} {err}"
        if want["message_contains"] not in text:
            raise StepFailed(f"error message {text!r} lacks {want['message_contains']!r}")


# ---- scenarios ------------------------------------------------------------------------------


def _client_kwargs(mock: Mock, spec: Dict[str, Any]) -> Dict[str, Any]:
    kw: Dict[str, Any] = {
        "client_id": spec.get("client_id", CLIENT_ID),
        "client_secret": spec.get("client_secret", CLIENT_SECRET),
        "base_url": spec.get("base_url", mock.url),
    }
    if "timeout_ms" in spec:
        kw["timeout"] = spec["timeout_ms"] / 1000.0
    if "call_timeout_ms" in spec:
        kw["call_timeout"] = spec["call_timeout_ms"] / 1000.0
    if "max_retries" in spec:
        kw["max_retries"] = spec["max_retries"]
    for key in ("max_response_bytes", "max_download_bytes"):
        if key in spec:
            kw[key] = spec[key]
    if "environment" in spec:
        kw["environment"] = spec["environment"]
    for key in ("account_checks", "strict_rules"):
        if key in spec:
            kw[key] = spec[key]
    return kw


def _setup(mock: Mock, scenario: Dict[str, Any]) -> None:
    _collect_tokens(mock)
    SCAN.collect_pii(scenario)
    mock.reset()
    setup = scenario.get("mock") or {}
    if setup.get("config"):
        mock.config(setup["config"])
    for rule in setup.get("faults") or []:
        mock.fault(rule)


def _collect_tokens(mock: Mock) -> None:
    """Every token the mock issued since its last reset becomes a secret to look for."""
    for t in mock.request("GET", "/_mock/tokens").get("tokens", []):
        SCAN.secret(t.get("token"))


def _mock_step(mock: Mock, step: Dict[str, Any], saved: Dict[str, Any]) -> None:
    what = step["mock"]
    # Only `args` are substituted (tests/conformance/README.md): bodies go to the mock as written.
    body = step.get("body")
    if what == "config":
        mock.config(body)
    elif what == "faults":
        for rule in body if isinstance(body, list) else [body]:
            mock.fault(rule)
    elif what == "clear_faults":
        mock.clear_faults()
    elif what == "expire_tokens":
        mock.expire_tokens()
    elif what == "reset":
        _collect_tokens(mock)
        mock.reset()
    elif what == "stats":
        stats = mock.stats()
        if "expect" in step:
            match(stats, step["expect"], saved, "stats")
        if step.get("save"):
            saved[step["save"]] = stats
    else:
        raise StepFailed(f"unknown mock step {what!r}")


def _sent_besides_account(stats: Dict[str, Any]) -> int:
    """Requests the mock has received, other than provider-account reads and the token they need."""
    reads = ("get_provider_account", "token")
    return sum(
        int(n)
        for route, by_status in stats.get("requests", {}).items()
        if route not in reads
        for n in by_status.values()
    )


class _Step:
    """What one call step needs before and after the call itself."""

    def __init__(self, mock: Mock, step: Dict[str, Any], saved: Dict[str, Any]) -> None:
        self.mock = mock
        self.step = step
        self.saved = saved
        self.call: str = step["call"]
        self.args: Dict[str, Any] = substitute(step.get("args") or {}, saved)
        self.statuses: List[str] = []
        want = step.get("expect_error")
        self.before: Optional[int] = None
        if want and want.get("kind") == "Validation":
            self.before = _sent_besides_account(mock.stats())

    def on_status(self, status: se.JobStatus) -> None:
        self.statuses.append(str(status.state))

    def finish(self, result: Any, error: Optional[BaseException]) -> None:
        step, want = self.step, self.step.get("expect_error")
        if want is not None:
            if error is None:
                raise StepFailed(f"{self.call}: expected a {want.get('kind')} error, got {result!r}")
            if not isinstance(error, se.SePayError):
                raise StepFailed(f"{self.call}: raised {error!r}, not a SePayError")
            SCAN.observe(error)
            _check_error(error, want, self.saved)
            if step.get("save"):
                self.saved[step["save"]] = json.loads(json.dumps(_error_canonical(error)))
            if self.before is not None:
                # Only the provider account may be read first (the account checks).
                after = _sent_besides_account(self.mock.stats())
                if after != self.before:
                    raise StepFailed(f"{self.call}: a validation error, but {after - self.before} request(s) reached the mock")
        else:
            if error is not None:
                SCAN.observe(error)
                raise StepFailed(f"{self.call}: unexpected error {error!r}") from error
            SCAN.observe(result)
            canonical = _canonical(self.call, result)
            if "expect" in step:
                match(canonical, step["expect"], self.saved, self.call)
            if step.get("save"):
                self.saved[step["save"]] = canonical
        if "expect_statuses" in step and step["expect_statuses"] != self.statuses:
            raise StepFailed(
                f"{self.call}: statuses seen {self.statuses}, expected {step['expect_statuses']}"
            )


async def _run(mock: Mock, scenario: Dict[str, Any], client: Any, invoke: Any) -> None:
    saved: Dict[str, Any] = {}
    for i, step in enumerate(scenario["steps"]):
        try:
            if "mock" in step:
                _mock_step(mock, step, saved)
                continue
            s = _Step(mock, step, saved)
            try:
                result, error = await invoke(client, s.call, s.args, s.on_status), None
            except se.SePayError as e:
                result, error = None, e
            s.finish(result, error)
        except StepFailed as e:
            raise StepFailed(f"step {i + 1}: {e}") from None


def run_sync(mock: Mock, scenario: Dict[str, Any]) -> None:
    """The scenario through the blocking ``Client`` (called directly; the coroutine around it
    only shares the step loop with the async runner)."""

    async def invoke(client: Any, call: str, args: Dict[str, Any], on_status: Any) -> Any:
        return _sync_invoke(client, call, args, on_status)

    _setup(mock, scenario)
    with se.Client(**_client_kwargs(mock, scenario.get("client") or {})) as client:
        SCAN.observe(client)
        asyncio.run(_run(mock, scenario, client, invoke))
    _collect_tokens(mock)


def run_async(mock: Mock, scenario: Dict[str, Any]) -> None:
    """The scenario through ``AsyncClient``."""

    async def main() -> None:
        _setup(mock, scenario)
        async with se.AsyncClient(**_client_kwargs(mock, scenario.get("client") or {})) as client:
            SCAN.observe(client)
            await _run(mock, scenario, client, _async_invoke)

    asyncio.run(main())
    _collect_tokens(mock)
