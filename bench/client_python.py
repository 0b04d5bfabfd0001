"""Python client throughput and latency against the mock server; run with `bash bench/client_python.sh`.

Same workload shape as bench/client_rust.rs: one draft is created first, then N `get_invoice` calls
of that draft, then N/4 `create_invoice` calls (drafts), from several concurrent callers on one
client. Three clients are measured, each in its own child process (so peak RSS and CPU time are
that client's alone; the mock runs in a separate process and is not counted):

  async    sepay_einvoice.AsyncClient, C concurrent asyncio tasks
  threads  sepay_einvoice.Client (blocking), T threads sharing one client
  httpx    hand-rolled httpx.AsyncClient doing the same HTTP, C concurrent asyncio tasks
           (token once, bearer GET + json(); POST JSON create). No validation, retries,
           exactly-once reference codes or typed models: only what the wire needs.

Usage: client_python.py [N] [output file]   (N defaults to 10000; C=32, T=8)
Needs SEPAY_EINVOICE_BASE_URL (the mock's URL); credentials default to the mock's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Tuple

ACCOUNT_MATBAO = "0aea3134-da40-11f0-aef4-52c7e9b4f41b"
CONCURRENCY = 32
THREADS = 8
CLIENT_ID = os.environ.get("SEPAY_EINVOICE_CLIENT_ID", "mock_client_id")
CLIENT_SECRET = os.environ.get("SEPAY_EINVOICE_CLIENT_SECRET", "mock_client_secret")


def warmup_counts(total: int) -> Tuple[int, int]:
    """(get_invoice, create_invoice) calls run before measuring."""
    return max(32, min(1000, total // 10)), max(8, min(100, total // 40))


def request(n: int) -> Dict[str, Any]:
    """The create request of the Rust bench, as the SDK's dict input."""
    return {
        "provider_account_id": ACCOUNT_MATBAO,
        "template_code": "1",
        "invoice_series": "C26TSE",
        "issued_date": "2026-01-26 08:00:00",
        "is_draft": True,
        "buyer": {"name": f"Khách hàng {n}", "tax_code": "0100233488"},
        "items": [{"item_name": "Sản phẩm A", "quantity": 2, "unit_price": 100_000, "tax_rate": 10}],
    }


def wire_body(n: int) -> Dict[str, Any]:
    """What a hand-rolled client posts: the same request with the fields the API requires filled
    in by hand (currency, line numbers and types, a reference code)."""
    body = request(n)
    body["currency"] = "VND"
    body["reference_code"] = str(uuid.uuid4())
    body["items"] = [{"line_number": 1, "line_type": 1, **body["items"][0]}]
    return body


def percentile(sorted_lat: List[float], p: float) -> float:
    if not sorted_lat:
        return 0.0
    i = round((len(sorted_lat) - 1) * p)
    return sorted_lat[min(i, len(sorted_lat) - 1)]


def summary(total: int, elapsed: float, cpu: float, lat: List[float], errors: int) -> Dict[str, Any]:
    lat.sort()
    return {
        "calls": total,
        "errors": errors,
        "elapsed": elapsed,
        "calls_per_s": total / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(lat, 0.5) * 1e3,
        "p99_ms": percentile(lat, 0.99) * 1e3,
        "cpu_per_1000": cpu / total * 1000 if total else 0.0,
    }


# --- drivers ---------------------------------------------------------------------------------


async def drive_async(total: int, concurrency: int, op: Callable[[int], Awaitable[Any]]) -> Dict[str, Any]:
    counter = itertools.count()
    lat: List[float] = []
    errors = [0]

    async def worker() -> None:
        while True:
            i = next(counter)
            if i >= total:
                return
            t = time.perf_counter()
            try:
                await op(i)
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors[0] += 1
                if errors[0] <= 3:
                    print(f"call failed: {e!r}", file=sys.stderr)
            lat.append(time.perf_counter() - t)

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return summary(total, elapsed, cpu, lat, errors[0])


def drive_threads(total: int, threads: int, op: Callable[[int], Any]) -> Dict[str, Any]:
    counter = itertools.count()  # next() on it is atomic under the GIL
    lats: List[List[float]] = [[] for _ in range(threads)]
    errors = [0]
    lock = threading.Lock()

    def worker(lat: List[float]) -> None:
        while True:
            i = next(counter)
            if i >= total:
                return
            t = time.perf_counter()
            try:
                op(i)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print(f"call failed: {e!r}", file=sys.stderr)
            lat.append(time.perf_counter() - t)

    workers = [threading.Thread(target=worker, args=(lats[k],)) for k in range(threads)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return summary(total, elapsed, cpu, [x for lat in lats for x in lat], errors[0])


# --- the three clients -------------------------------------------------------------------------


async def run_async(base_url: str, total: int) -> Dict[str, Any]:
    import sepay_einvoice as se

    client = se.AsyncClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base_url)
    draft = await client.create_invoice_and_wait(request(0), poll_interval=0.01, max_poll_interval=0.02)
    ref = draft.reference_code

    async def get(i: int) -> Any:
        return await client.get_invoice(ref)

    async def create(i: int) -> Any:
        return await client.create_invoice(request(i))

    wg, wc = warmup_counts(total)
    await drive_async(wg, CONCURRENCY, get)
    await drive_async(wc, CONCURRENCY, create)
    result = {
        "get": await drive_async(total, CONCURRENCY, get),
        "create": await drive_async(total // 4, CONCURRENCY, create),
    }
    await client.close()
    return result


def run_threads(base_url: str, total: int) -> Dict[str, Any]:
    import sepay_einvoice as se

    client = se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base_url)
    draft = client.create_invoice_and_wait(request(0), poll_interval=0.01, max_poll_interval=0.02)
    ref = draft.reference_code

    def get(i: int) -> Any:
        return client.get_invoice(ref)

    def create(i: int) -> Any:
        return client.create_invoice(request(i))

    wg, wc = warmup_counts(total)
    drive_threads(wg, THREADS, get)
    drive_threads(wc, THREADS, create)
    result = {
        "get": drive_threads(total, THREADS, get),
        "create": drive_threads(total // 4, THREADS, create),
    }
    client.close()
    return result


async def run_httpx(base_url: str, total: int) -> Dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as http:
        r = await http.post("/v1/token", auth=(CLIENT_ID, CLIENT_SECRET))
        r.raise_for_status()
        http.headers["Authorization"] = "Bearer " + r.json()["data"]["access_token"]

        # The first draft, created and polled by hand like create_invoice_and_wait does.
        r = await http.post("/v1/invoices/create", json=wire_body(0))
        r.raise_for_status()
        tracking = r.json()["data"]["tracking_code"]
        for _ in range(500):
            r = await http.get(f"/v1/invoices/create/check/{tracking}")
            r.raise_for_status()
            data = r.json()["data"]
            if data["status"] == "Success":
                break
            if data["status"] == "Failed":
                raise RuntimeError(f"draft failed: {data}")
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("draft still pending")
        ref = data["reference_code"]

        async def get(i: int) -> Any:
            r = await http.get(f"/v1/invoices/{ref}")
            r.raise_for_status()
            return r.json()["data"]

        async def create(i: int) -> Any:
            r = await http.post("/v1/invoices/create", json=wire_body(i))
            r.raise_for_status()
            return r.json()["data"]

        wg, wc = warmup_counts(total)
        await drive_async(wg, CONCURRENCY, get)
        await drive_async(wc, CONCURRENCY, create)
        return {
            "get": await drive_async(total, CONCURRENCY, get),
            "create": await drive_async(total // 4, CONCURRENCY, create),
        }


def child(mode: str, base_url: str, total: int) -> None:
    if mode == "async":
        result = asyncio.run(run_async(base_url, total))
    elif mode == "threads":
        result = run_threads(base_url, total)
    elif mode == "httpx":
        result = asyncio.run(run_httpx(base_url, total))
    else:
        raise SystemExit(f"unknown mode {mode}")
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result))


# --- parent: runs each client in a child process and writes the report -----------------------------

LABELS = {
    "async": f"sepay_einvoice.AsyncClient, {CONCURRENCY} asyncio tasks",
    "threads": f"sepay_einvoice.Client (blocking), {THREADS} threads",
    "httpx": f"hand-rolled httpx.AsyncClient, {CONCURRENCY} asyncio tasks",
}


def versions() -> str:
    out = []
    for mod in ("sepay_einvoice", "httpx"):
        try:
            from importlib.metadata import version

            out.append(f"{mod} {version(mod.replace('_', '-'))}")
        except Exception:  # noqa: BLE001
            out.append(f"{mod} ?")
    return ", ".join(out)


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--child":
        child(args[1], args[2], int(args[3]))
        return
    total = int(args[0]) if args else 10_000
    out = args[1] if len(args) > 1 else None
    base_url = os.environ.get("SEPAY_EINVOICE_BASE_URL")
    if not base_url:
        raise SystemExit("set SEPAY_EINVOICE_BASE_URL to the mock server's URL (bash bench/client_python.sh does)")

    results: Dict[str, Dict[str, Any]] = {}
    for mode in ("async", "threads", "httpx"):
        print(f"== {LABELS[mode]} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, base_url, str(total)],
            stdout=subprocess.PIPE,
            check=True,
            text=True,
        )
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])

    wg, wc = warmup_counts(total)
    load = os.getloadavg()
    lines = [
        "# sepay-einvoice Python client throughput",
        f"date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"machine: {os.cpu_count()} cores, {platform.system().lower()} {platform.machine()}, "
        f"load average before the run {load[0]:.2f}",
        f"python: {platform.python_implementation()} {platform.python_version()}; {versions()}",
        f"setup: mock server (release build) in a separate process on 127.0.0.1; extension built with "
        f"maturin --release; each client measured in its own Python process",
        f"workload: 1 draft created, {wg} get_invoice + {wc} create_invoice warm-up calls (not measured), "
        f"then {total} get_invoice of that draft and {total // 4} create_invoice (drafts), one client "
        f"shared by all callers",
        "cpu/1000: time.process_time() of the Python process (all its threads, the Rust runtime's "
        "included) per 1000 calls; the mock's CPU is not counted",
        "peak RSS: ru_maxrss of that Python process (the mock not included)",
        "httpx: token once, then bearer GET + json() and POST JSON; no validation, retries, "
        "exactly-once reference codes or typed models (dicts out)",
        "",
    ]
    for mode in ("async", "threads", "httpx"):
        r = results[mode]
        lines.append(f"{LABELS[mode]}  (peak RSS {r['peak_rss_mib']:.0f} MiB)")
        for op in ("get", "create"):
            s = r[op]
            name = "get_invoice" if op == "get" else "create_invoice"
            err = f", {s['errors']} ERRORS" if s["errors"] else ""
            lines.append(
                f"  {name:<15} {s['calls']:>6} calls in {s['elapsed']:6.2f}s: {s['calls_per_s']:7.0f} calls/s, "
                f"p50 {s['p50_ms']:6.2f} ms, p99 {s['p99_ms']:6.2f} ms, cpu {s['cpu_per_1000']:.3f} s/1000 calls{err}"
            )
        lines.append("")

    a, t, h = results["async"], results["threads"], results["httpx"]
    def x(num: float, den: float) -> str:
        return f"{num / den:.2f}x" if den > 0 else "n/a"

    conclusion = (
        "conclusion: AsyncClient vs hand-rolled httpx: get_invoice "
        f"{x(a['get']['calls_per_s'], h['get']['calls_per_s'])} the calls/s with "
        f"{x(a['get']['cpu_per_1000'], h['get']['cpu_per_1000'])} the CPU per call, create_invoice "
        f"{x(a['create']['calls_per_s'], h['create']['calls_per_s'])} the calls/s with "
        f"{x(a['create']['cpu_per_1000'], h['create']['cpu_per_1000'])} the CPU per call; "
        f"blocking Client from {THREADS} threads: "
        f"{x(t['get']['calls_per_s'], a['get']['calls_per_s'])} AsyncClient's get_invoice calls/s; "
        f"peak RSS {a['peak_rss_mib']:.0f} / {t['peak_rss_mib']:.0f} / {h['peak_rss_mib']:.0f} MiB "
        "(async / threads / httpx)."
    )
    lines.append(conclusion)
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(report)


if __name__ == "__main__":
    main()
