"""The exactly-once soak, Python runner: N ``create_invoice_and_wait`` calls at concurrency C on one
``sepay_einvoice.AsyncClient`` against one mock with mixed faults, judged from the mock's own
state (its invoices, stats and fault counters).

Spec: tests/soak/soak.json; method, figures and pass conditions: tests/soak/README.md.
Usage: ``python tests/soak/soak_python.py`` (needs the built extension and SEPAY_MOCK_BIN, or
cargo to build the mock). Sizes and output from SEPAY_SOAK_CALLS, SEPAY_SOAK_CONCURRENCY and
SEPAY_SOAK_OUT (default: the reduced size, $CARGO_TARGET_DIR/soak/soak-python.json).
Exits 0 when every pass condition holds, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings-python" / "tests"))

import sepay_einvoice  # noqa: E402
from mockctl import CLIENT_ID, CLIENT_SECRET, Mock  # noqa: E402

LANG = "python"


def env_count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n <= 0:
        raise SystemExit(f"{name} must be a positive integer, got {raw!r}")
    return n


def output_path() -> Path:
    explicit = os.environ.get("SEPAY_SOAK_OUT")
    if explicit:
        return REPO / explicit  # a relative path is taken from the repository root
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return Path(target) / "soak" / f"soak-{LANG}.json"


def request(spec: Dict[str, Any], run_id: str, i: int, issued_date: str) -> Dict[str, Any]:
    """Call ``i``'s request: a distinct sale (marker in ``notes``, buyer and amount vary with
    ``i``); no reference code, so the SDK generates one."""
    r = spec["request"]
    return {
        "provider_account_id": r["provider_account_id"],
        "template_code": r["template_code"],
        # `{yy}`: the two digits of the invoice's year (a series carries its year).
        "invoice_series": r["invoice_series"].replace("{yy}", issued_date[2:4]),
        "issued_date": issued_date,
        "currency": r["currency"],
        "is_draft": r["is_draft"],
        "buyer": {"name": f"Khách hàng soak {i}"},
        "items": [
            {
                "item_name": f"Hàng soak {i}",
                "quantity": 1 + i % 3,
                "unit_price": 10000 + 100 * i,
                "tax_rate": [0, 5, 10, -2][i % 4],
            }
        ],
        "notes": f"soak {run_id} #{i}",
    }


def percentile(sorted_ms: List[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_ms:
        return 0.0
    rank = math.ceil(q * len(sorted_ms))
    return sorted_ms[min(max(rank, 1), len(sorted_ms)) - 1]


def label(rule: Dict[str, Any]) -> str:
    kind = rule.get("kind", "")
    if kind == "status":
        return f"status_{rule.get('status', 503)}"
    if kind == "drop":
        return "dropped"
    if kind == "latency" and rule.get("when") == "after":
        return "late"
    return str(kind)


def effective_rates(rules: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per-request rate of each rule: the walk stops at the first non-latency rule that fires."""
    reach = 1.0
    out = []
    for rule in rules:
        p = float(rule.get("probability", 1.0))
        out.append({"rule": label(rule), "rate": round(reach * p, 6)})
        if rule.get("kind") != "latency":
            reach *= 1.0 - p
    out.append({"rule": "none of status/drop/malformed", "rate": round(reach, 6)})
    return out


Outcome = Tuple[int, float, Optional[str], Optional[Dict[str, Any]]]


async def soak(spec: Dict[str, Any], mock: Mock, calls: int, concurrency: int, run_id: str) -> Tuple[List[Outcome], float]:
    client = sepay_einvoice.AsyncClient(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=mock.url,
        timeout=spec["client"]["timeout_ms"] / 1000,
        call_timeout=spec["client"]["call_timeout_ms"] / 1000,
        max_retries=spec["client"]["max_retries"],
    )
    wait = spec["wait"]
    vn = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=7) - dt.timedelta(minutes=1)
    issued_date = vn.strftime("%Y-%m-%d %H:%M:%S")
    outcomes: List[Outcome] = []
    counter = iter(range(calls))

    async def worker() -> None:
        for i in counter:
            req = request(spec, run_id, i, issued_date)
            started = time.perf_counter()
            try:
                inv = await client.create_invoice_and_wait(
                    req,
                    timeout=wait["timeout_ms"] / 1000,
                    poll_interval=wait["poll_interval_ms"] / 1000,
                    max_poll_interval=wait["max_poll_interval_ms"] / 1000,
                )
                outcomes.append((i, time.perf_counter() - started, inv.reference_code, None))
            except sepay_einvoice.SePayError as e:
                failure = {
                    "kind": e.kind,
                    "reference_code": e.reference_code,
                    "ambiguous": bool(e.ambiguous),
                    "message": str(e),
                }
                outcomes.append((i, time.perf_counter() - started, None, failure))
            except Exception as e:  # anything else is a finding too: record it, keep going
                failure = {"kind": type(e).__name__, "reference_code": None, "ambiguous": False, "message": str(e)}
                outcomes.append((i, time.perf_counter() - started, None, failure))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    run_secs = time.perf_counter() - t0
    await client.close()
    return outcomes, run_secs


def judge(
    spec: Dict[str, Any],
    run_id: str,
    calls: int,
    concurrency: int,
    run_secs: float,
    outcomes: List[Outcome],
    invoices: List[Dict[str, Any]],
    stats: Dict[str, Any],
    fired: List[Dict[str, Any]],
    started_at: str,
) -> Dict[str, Any]:
    """Every figure and pass condition of README.md, from the outcomes and the mock's state."""
    prefix = f"soak {run_id} #"
    by_ref: Dict[str, Optional[int]] = {}
    per_marker: Dict[int, int] = {}
    for inv in invoices:
        notes = inv.get("notes") or ""
        if not notes.startswith(prefix):
            continue
        rest = notes[len(prefix):]
        marker = int(rest) if rest.isdigit() else None
        by_ref[inv["reference_code"]] = marker
        if marker is not None:
            per_marker[marker] = per_marker.get(marker, 0) + 1

    named = set()
    successes = failures = with_ref = ambiguous = 0
    false_successes = misattributed = failed_with_invoice = 0
    kinds: Dict[str, int] = {}
    problems: List[str] = []
    samples: List[Dict[str, Any]] = []
    for index, _wall, reference, failure in outcomes:
        if failure is None:
            assert reference is not None
            successes += 1
            named.add(reference)
            if by_ref.get(reference, -1) != index:
                false_successes += 1
                problems.append(
                    f"false success: call #{index} returned {reference}, whose invoice is {by_ref.get(reference)!r}"
                )
            continue
        failures += 1
        kinds[failure["kind"]] = kinds.get(failure["kind"], 0) + 1
        ambiguous += int(failure["ambiguous"])
        r = failure["reference_code"]
        if r:
            with_ref += 1
            named.add(r)
            if r in by_ref:
                if by_ref[r] == index:
                    failed_with_invoice += 1
                else:
                    misattributed += 1
                    problems.append(f"call #{index} failed naming {r}, the invoice of marker {by_ref[r]!r}")
        if len(samples) < 10:
            samples.append({"call": index, **failure})

    lost = [r for r in by_ref if r not in named]
    for r in lost:
        problems.append(f"lost: invoice {r} (marker {by_ref[r]!r}) is named by no call")
    duplicates = sum(1 for n in per_marker.values() if n > 1)
    for m, n in sorted(per_marker.items()):
        if n > 1:
            problems.append(f"duplicate: marker #{m} has {n} invoices")

    j = spec["judge"]
    deadline_ms = spec["client"]["call_timeout_ms"] + spec["wait"]["timeout_ms"] + j["deadline_slack_ms"]
    walls = sorted(o[1] * 1000 for o in outcomes)
    past_deadline = sum(1 for w in walls if w > deadline_ms)
    if past_deadline:
        problems.append(f"{past_deadline} calls took longer than {deadline_ms} ms")

    requests: Dict[str, Dict[str, int]] = stats.get("requests", {})
    token_requests = sum(requests.get("token", {}).values())
    ttl = spec["mock_config"]["token_ttl_secs"]
    token_bound = math.ceil(run_secs / (ttl * j["token_refresh_fraction"])) + j["token_slack"]
    if token_requests > token_bound:
        problems.append(f"{token_requests} token requests, more than {token_bound}")

    faulted = {route: counts for route, counts in requests.items() if route != "token"}
    walked = sum(sum(c.values()) for c in faulted.values())

    def count(key: str) -> int:
        return sum(c.get(key, 0) for c in faulted.values())

    fired_by: Dict[str, int] = {}
    for rule in fired:
        fired_by[label(rule)] = fired_by.get(label(rule), 0) + int(rule.get("fired", 0))
    injected = {
        "status_503": count("503"),
        "dropped": count("dropped"),
        "late": fired_by.get("late", 0),
        "malformed": fired_by.get("malformed", 0),
        "status_429": count("429"),
    }
    observed = {}
    for k, n in injected.items():
        observed[k] = round(n / max(walked, 1), 6)
        least = j["min_injected"].get(k, 0)
        if n < least:
            problems.append(f"the {k} fault fired {n} times, fewer than {least}: the faults did not bite")
    if calls < j["min_calls"]:
        problems.append(f"only {calls} calls, fewer than {j['min_calls']}")
    if successes < j["min_success_ratio"] * calls:
        problems.append(f"only {successes} of {calls} calls succeeded (need {j['min_success_ratio']} of them)")
    if len(outcomes) != calls:
        problems.append(f"{len(outcomes)} outcomes recorded for {calls} calls")

    return {
        "lang": LANG,
        "calls": calls,
        "concurrency": concurrency,
        "faults": {"rules": spec["faults"], "effective_rates": effective_rates(spec["faults"])},
        "settings": {
            "mock_config": spec["mock_config"],
            "client": spec["client"],
            "wait": spec["wait"],
            "run_id": run_id,
        },
        "results": {
            "calls": calls,
            "successes": successes,
            "failures": failures,
            "failures_with_reference": with_ref,
            "failures_without_reference": failures - with_ref,
            "failures_ambiguous": ambiguous,
            "failures_by_kind": dict(sorted(kinds.items())),
            "failures_with_invoice": failed_with_invoice,
            "invoices": len(by_ref),
            "accounted": len(by_ref) - len(lost),
            "lost": len(lost),
            "duplicates": duplicates,
            "false_successes": false_successes,
            "misattributed_errors": misattributed,
            "past_deadline": past_deadline,
            "deadline_ms": deadline_ms,
            "token_requests": token_requests,
            "token_bound": token_bound,
            "tokens_issued": stats.get("tokens_issued"),
            "latency_ms": {
                "p50": round(percentile(walls, 0.50), 3),
                "p95": round(percentile(walls, 0.95), 3),
                "max": round(walls[-1] if walls else 0.0, 3),
            },
            "run_seconds": round(run_secs, 3),
            "calls_per_second": round(calls / max(run_secs, 1e-9), 3),
            "faulted_requests": walked,
            "injected": injected,
            "observed_rates": observed,
            "fired_by_rule": [{"rule": label(r), "fired": r.get("fired")} for r in fired],
            "rejected_duplicates": stats.get("rejected_duplicates"),
            "mock_requests": requests,
            "error_samples": samples,
            "problems": problems,
        },
        "pass": not problems,
        "started_at": started_at,
        "machine": {"cores": os.cpu_count(), "os": sys.platform},
    }


def main() -> int:
    spec = json.loads((REPO / "tests" / "soak" / "soak.json").read_text(encoding="utf-8"))
    calls = env_count("SEPAY_SOAK_CALLS", spec["sizes"]["reduced"]["calls"])
    concurrency = env_count("SEPAY_SOAK_CONCURRENCY", spec["sizes"]["reduced"]["concurrency"])
    out = output_path()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    run_id = f"{LANG}-{uuid.uuid4().hex[:12]}"

    mock = Mock()
    try:
        mock.config(spec["mock_config"])
        for rule in spec["faults"]:
            mock.fault(rule)
        outcomes, run_secs = asyncio.run(soak(spec, mock, calls, concurrency, run_id))
        # Let late answers be written and every job that acted resolve before reading the mock.
        time.sleep(spec["judge"]["settle_ms"] / 1000)
        until = time.monotonic() + spec["judge"]["settle_max_ms"] / 1000
        while mock.stats().get("pending_jobs", 0) > 0 and time.monotonic() < until:
            time.sleep(0.2)
        invoices = mock.request("GET", "/_mock/invoices")
        fired = mock.request("GET", "/_mock/faults")
        stats = mock.stats()
    finally:
        mock.stop()

    report = judge(spec, run_id, calls, concurrency, run_secs, outcomes, invoices, stats, fired, started_at)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    r = report["results"]
    print(
        f"soak ({LANG}): {r['calls']} calls, {r['successes']} ok, {r['failures']} failed "
        f"({r['failures_with_reference']} with reference), {r['invoices']} invoices, {r['lost']} lost, "
        f"{r['duplicates']} duplicates, {r['false_successes']} false successes, "
        f"{r['past_deadline']} past deadline, tokens {r['token_requests']} <= {r['token_bound']}, "
        f"{run_secs:.1f} s"
    )
    for p in r["problems"]:
        print(f"  FAIL {p}")
    print(f"  results: {out}")
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
