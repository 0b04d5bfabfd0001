"""The bad-input corpus (tests/conformance/bad-input/, format in its README.md) through the sync
and the async client: every case must raise ``ValidationError`` naming the case's field and send
nothing. One test per client, not per case, to keep the output short; the summary lines go to
pytest's terminal summary (conftest.py) and, with ``-s``, to stdout.

Nothing sent: like the Rust runner, the mock's ``requests_total`` is read before and after every
case, so a failure line says which case sent something."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union

import sepay_einvoice as se

from conftest import BAD_INPUT
from mockctl import CLIENT_ID, CLIENT_SECRET, REPO, Mock

LANG = "python"
DIR = REPO / "tests" / "conformance" / "bad-input"
MIN_CASES = 150
CASE_TIMEOUT = 5.0  # seconds; validation is instant, so a case still running has sent something
FILE_KEYS = {"category", "description", "base", "cases"}
CASE_KEYS = {"name", "note", "call", "args", "remove", "set", "field", "only"}
LANGS = {"rust", "python", "node"}
CALLS = {
    "create_invoice", "create_invoice_and_wait", "get_invoice", "issue_invoice",
    "issue_invoice_and_wait", "delete_draft", "download_invoice", "list_invoices",
    "list_provider_accounts", "get_provider_account", "check_status", "wait_for_status",
}
WAIT_ARGS = {
    "timeout_ms": "timeout", "poll_interval_ms": "poll_interval", "max_poll_interval_ms": "max_poll_interval",
}

Json = Any
AnyClient = Union[se.Client, se.AsyncClient]
# (method name, positional args, keyword args)
Call = Tuple[str, List[Any], Dict[str, Any]]


class CorpusError(Exception):
    """A malformed file or case: reported as a failure, never skipped."""


# ---- file shape ------------------------------------------------------------------------------


def check_file(doc: Json) -> None:
    if not isinstance(doc, dict):
        raise CorpusError("not a JSON object")
    if set(doc) - FILE_KEYS:
        raise CorpusError(f"unknown keys {sorted(set(doc) - FILE_KEYS)}")
    if not isinstance(doc.get("category"), str):
        raise CorpusError('no "category" string')
    if not isinstance(doc.get("base"), dict):
        raise CorpusError('no "base" object')
    if not isinstance(doc.get("cases"), list):
        raise CorpusError('no "cases" array')
    names = set()
    for i, c in enumerate(doc["cases"]):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise CorpusError(f"case {i} is not an object with a name")
        name = c["name"]
        if name in names:
            raise CorpusError(f"two cases are named {name!r}")
        names.add(name)

        def bad(what: str, name: str = name) -> CorpusError:
            return CorpusError(f"case {name!r}: {what}")

        if set(c) - CASE_KEYS:
            raise bad(f"unknown keys {sorted(set(c) - CASE_KEYS)}")
        if not isinstance(c.get("field"), str):
            raise bad('no "field" string')
        call = c.get("call", "create_invoice")
        if call not in CALLS:
            raise bad(f"unknown call {call!r}")
        if "args" in c and not isinstance(c["args"], dict):
            raise bad('"args" is not an object')
        creates = ("create_invoice", "create_invoice_and_wait")
        takes_request = call in creates and "request" not in c.get("args", {})
        if not takes_request and ("set" in c or "remove" in c):
            raise bad('"set"/"remove" edit the base, which only a create call without args.request uses')
        if "set" in c and not isinstance(c["set"], dict):
            raise bad('"set" is not an object')
        if "remove" in c and not (isinstance(c["remove"], list) and all(isinstance(p, str) for p in c["remove"])):
            raise bad('"remove" is not a list of paths')
        only = c.get("only", [])
        if not (isinstance(only, list) and all(x in LANGS for x in only)):
            raise bad('"only" is not a list of rust/python/node')


# ---- paths -----------------------------------------------------------------------------------

Seg = Union[str, int]
_PART = re.compile(r"^([^.\[\]]+)((?:\[\d+\])*)$")


def parse_path(path: str) -> List[Seg]:
    out: List[Seg] = []
    for part in path.split("."):
        m = _PART.match(part)
        if not m:
            raise CorpusError(f"bad path {path!r}")
        out.append(m.group(1))
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return out


def set_path(root: Json, path: List[Seg], value: Json) -> None:
    cur = root
    for i, seg in enumerate(path):
        last = i == len(path) - 1
        empty: Json = [] if not last and isinstance(path[i + 1], int) else {}
        if isinstance(seg, str) and isinstance(cur, dict):
            if last:
                cur[seg] = value
            else:
                cur = cur.setdefault(seg, empty)
        elif isinstance(seg, int) and isinstance(cur, list) and seg <= len(cur):
            if seg == len(cur):
                cur.append(empty)
            if last:
                cur[seg] = value
            else:
                cur = cur[seg]
        else:
            raise CorpusError(f"cannot set {seg!r} in {type(cur).__name__}")


def remove_path(root: Json, path: List[Seg]) -> None:
    cur = root
    for i, seg in enumerate(path):
        ok = (isinstance(seg, str) and isinstance(cur, dict) and seg in cur) or (
            isinstance(seg, int) and isinstance(cur, list) and seg < len(cur)
        )
        if not ok:
            raise CorpusError(f"nothing at {seg!r} in {type(cur).__name__}")
        if i == len(path) - 1:
            del cur[seg]
        else:
            cur = cur[seg]


# ---- special values --------------------------------------------------------------------------


def vn_time(delta: dt.timedelta) -> str:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) + delta
    return now.strftime("%Y-%m-%d %H:%M:%S")


def special(s: str, base: Json) -> Json:
    fixed: Dict[str, Callable[[], Json]] = {
        "$now": lambda: vn_time(dt.timedelta(minutes=-1)),
        "$tomorrow": lambda: vn_time(dt.timedelta(days=1)),
        "$NaN": lambda: float("nan"),
        "$Infinity": lambda: float("inf"),
        "$-Infinity": lambda: float("-inf"),
        "$surrogate": lambda: "\ud800",
    }
    if s in fixed:
        return fixed[s]()
    kind, _, rest = s.partition(":")
    try:
        if kind == "$repeat" and ":" in rest:
            unit, n = rest.rsplit(":", 1)
            return unit * int(n)
        if kind == "$deep":
            v: Json = []
            for _ in range(int(rest) - 1):
                v = [v]
            return v
        if kind == "$lines":
            line = substitute(copy.deepcopy(base["items"][0]), base)
            return [copy.deepcopy(line) for _ in range(int(rest))]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise CorpusError(f"bad special value {s!r}: {e}") from None
    raise CorpusError(f"unknown special value {s!r}")


def substitute(v: Json, base: Json) -> Json:
    if isinstance(v, str) and v.startswith("$"):
        return special(v, base)
    if isinstance(v, list):
        return [substitute(x, base) for x in v]
    if isinstance(v, dict):
        return {k: substitute(x, base) for k, x in v.items()}
    return v


# ---- calls -----------------------------------------------------------------------------------


def build_call(case: Json, base: Json) -> Call:
    """The method, its positional and keyword arguments for a case (README "Calls")."""
    call: str = case.get("call", "create_invoice")
    raw_args = case.get("args", {})
    if call in ("create_invoice", "create_invoice_and_wait") and "request" not in raw_args:
        request = copy.deepcopy(base)
        for p in case.get("remove", []):
            remove_path(request, parse_path(p))
        for p, v in case.get("set", {}).items():
            set_path(request, parse_path(p), copy.deepcopy(v))
        raw_args = {**raw_args, "request": request}
    args = substitute(raw_args, base)
    waits = {WAIT_ARGS[k]: v / 1000 for k, v in args.items() if k in WAIT_ARGS}
    ref = args.get("reference_code", "")

    def present(*keys: str) -> Dict[str, Any]:
        return {k: args[k] for k in keys if k in args}

    if call == "create_invoice":
        return call, [args["request"]], {}
    if call == "create_invoice_and_wait":
        return call, [args["request"]], waits
    if call in ("get_invoice", "issue_invoice", "delete_draft"):
        return call, [ref], {}
    if call == "issue_invoice_and_wait":
        return call, [ref], waits
    if call == "download_invoice":
        return call, [ref, args.get("type", "pdf")], {}
    if call == "list_invoices":
        return call, [], present("page", "per_page", "source")
    if call == "list_provider_accounts":
        return call, [], present("page", "per_page")
    if call == "get_provider_account":
        return call, [args.get("id", "")], {}
    if call == "check_status":
        return call, [args.get("job")], {}
    if call == "wait_for_status":
        return call, [args.get("job")], waits
    raise CorpusError(f"unknown call {call!r}")


def call_sync(client: se.Client, c: Call) -> Optional[BaseException]:
    """Runs a call in a daemon thread with the case time limit; the exception it raised (None on
    success). A call still running after the limit is reported as a TimeoutError."""
    out: List[Optional[BaseException]] = [TimeoutError(f"still running after {CASE_TIMEOUT} s")]

    def target() -> None:
        try:
            getattr(client, c[0])(*c[1], **c[2])
            out[0] = None
        except BaseException as e:  # noqa: BLE001 - any outcome is a verdict
            out[0] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(CASE_TIMEOUT)
    return out[0]


async def call_async(client: se.AsyncClient, c: Call) -> Optional[BaseException]:
    try:
        coro: Awaitable[Any] = getattr(client, c[0])(*c[1], **c[2])
        await asyncio.wait_for(coro, CASE_TIMEOUT)
    except asyncio.TimeoutError:
        return TimeoutError(f"still running after {CASE_TIMEOUT} s")
    except BaseException as e:  # noqa: BLE001
        return e
    return None


def verdict(err: Optional[BaseException], field: str, sent: int) -> Optional[str]:
    """None when the case passes, else the failure text."""
    if err is None:
        return f"accepted ({sent} request(s) sent): expected Validation at {field!r}"
    kind = getattr(err, "kind", type(err).__name__)
    if not isinstance(err, se.ValidationError) or kind != "Validation":
        return f"expected Validation at {field!r}, got {kind} ({type(err).__name__}: {err})"
    if err.field != field:
        return f"expected field {field!r}, got {err.field!r} ({err})"
    if sent:
        return f"the Validation error came after {sent} request(s) reached the mock"
    return None


# ---- the run ---------------------------------------------------------------------------------


async def run_corpus(mode: str, mock: Mock) -> Tuple[int, List[str], int]:
    """Runs every file; returns (rejected, failure lines, skipped)."""
    mock.reset()  # the session mock may hold faults from earlier tests
    settings: Dict[str, Any] = dict(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=mock.url,
        timeout=2.0, call_timeout=3.0, max_retries=0,
    )
    client: AnyClient = se.Client(**settings) if mode == "sync" else se.AsyncClient(**settings)

    async def run(c: Call) -> Optional[BaseException]:
        if isinstance(client, se.AsyncClient):
            return await call_async(client, c)
        return call_sync(client, c)

    def total() -> int:
        return int(mock.stats()["requests_total"])

    rejected, skipped, failures = 0, 0, []
    for path in sorted(DIR.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            check_file(doc)
        except (ValueError, CorpusError) as e:
            failures.append(f"{path.name}: unreadable corpus file: {e}")
            continue
        base = doc["base"]
        try:
            err = await run(("create_invoice", [substitute(copy.deepcopy(base), base)], {}))
        except CorpusError as e:
            err = e
        if err is not None:
            failures.append(f"{path.name}: the base request is not accepted: {type(err).__name__}: {err}")
        for case in doc["cases"]:
            if "only" in case and LANG not in case["only"]:
                skipped += 1
                continue
            where = f"{path.name}: {case['name']}"
            try:
                c = build_call(case, base)
            except CorpusError as e:
                failures.append(f"{where}: corpus error: {e}")
                continue
            before = total()
            err = await run(c)
            problem = verdict(err, case["field"], total() - before)
            if problem:
                failures.append(f"{where}: {problem}")
            else:
                rejected += 1
    if isinstance(client, se.AsyncClient):
        await client.close()
    else:
        client.close()
    return rejected, failures, skipped


def check(mode: str, mock: Mock) -> None:
    started = time.monotonic()
    rejected, failures, skipped = asyncio.run(run_corpus(mode, mock))
    ran = rejected + len(failures)
    line = f"bad-input (python {mode}): {rejected} rejected, {len(failures)} failed"
    BAD_INPUT[mode] = {"summary": [line], "failed": failures}
    for f in failures:
        print(f"FAILED  {f}")
    print(f"skipped {skipped} case(s) not meant for {LANG}; ran in {time.monotonic() - started:.2f}s")
    print(line)
    assert ran >= MIN_CASES, f"only {ran} cases ran; the corpus has at least {MIN_CASES}"
    assert not failures, f"{line}\n" + "\n".join(failures)


def test_bad_input_sync(mock: Mock) -> None:
    check("sync", mock)


def test_bad_input_async(mock: Mock) -> None:
    check("async", mock)
