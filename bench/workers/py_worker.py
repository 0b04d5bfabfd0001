"""One Python client, one workload, one run; prints one JSON line. Started by bench/harness.py.

    py_worker.py CLIENT WORKLOAD --base-url URL [--warmup-seconds W] [--seconds S] [--ref REF]
                 [--concurrency C] [--threads T] [--n N] [--pending-ms P]

Clients: py.Client and py.AsyncClient (the SDK), py.requests, py.httpx, py.httpx-async,
py.aiohttp (bench/peers/), py.fixed-2s (aiohttp, fixed 2 s poller; W3/W5 only).
Workloads: W1 (get_invoice, one call after another), W2 (get_invoice from C tasks or T threads),
each for a warm-up of W seconds and then a measured phase of S seconds (no call starts after it);
W3/W5 (N create-and-wait calls started at once).

CPU is the process's (`time.process_time`, every thread: the SDK's Rust runtime included) and
the main thread's (`/proc/self/task/<pid>/schedstat`), over the measured phase only. The mock runs
in another process and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "peers"))

from py_model import ACCOUNT_MATBAO, CLIENT_ID, CLIENT_SECRET, issued_date  # noqa: E402

# W1/W2 are timed, not counted (like wrk -d): every client gets the same warm-up (a JIT, V8's for
# the Node peers, needs seconds of calls) and a measured phase long enough for CPU time to mean
# something, however fast it is.
NO_CAP = 10**9
SyncGet = Callable[[str], Any]
AsyncGet = Callable[[str], Awaitable[Any]]


# --- measurement -------------------------------------------------------------------------------


def main_thread_cpu_s() -> float:
    """CPU time of the main thread (the event loop's, for the async clients)."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/schedstat", encoding="ascii") as f:
            return int(f.read().split()[0]) / 1e9
    except OSError:
        return float("nan")


def status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def percentile(sorted_values: List[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round((len(sorted_values) - 1) * p))]


class Meter:
    """Wall, process CPU and main-thread CPU between `start()` and `stop()`. Both print a marker
    line, so the harness can read the mock's CPU at the same moments."""

    def start(self) -> None:
        print("@start", flush=True)
        self.cpu0, self.main0, self.t0 = time.process_time(), main_thread_cpu_s(), time.perf_counter()

    def stop(self) -> None:
        self.elapsed = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        self.main = main_thread_cpu_s() - self.main0
        print("@stop", flush=True)


def call_summary(meter: Meter, latencies: List[float], errors: int, first_error: Optional[str]) -> Dict[str, Any]:
    latencies.sort()
    calls = len(latencies)
    return {
        "calls": calls,
        "errors": errors,
        "first_error": first_error,
        "elapsed_s": meter.elapsed,
        "calls_per_s": calls / meter.elapsed if meter.elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "cpu_ms_per_1000": meter.cpu / calls * 1e6 if calls else float("nan"),
        "main_cpu_ms_per_1000": meter.main / calls * 1e6 if calls else float("nan"),
    }


class Errors:
    def __init__(self) -> None:
        self.count = 0
        self.first: Optional[str] = None
        self._lock = threading.Lock()

    def add(self, e: BaseException) -> None:
        with self._lock:
            self.count += 1
            if self.first is None:
                self.first = repr(e)
                print(f"call failed: {e!r}", file=sys.stderr)


# --- drivers -----------------------------------------------------------------------------------


def drive_sync(get: SyncGet, ref: str, n: int, threads: int, errors: Errors, seconds: float) -> List[float]:
    """`n` calls from `threads` threads (1: the calling thread, sequentially); no call starts
    after `seconds`."""
    deadline = time.perf_counter() + seconds
    if threads <= 1:
        lat: List[float] = []
        for _ in range(n):
            if time.perf_counter() >= deadline:
                break
            t = time.perf_counter()
            try:
                get(ref)
            except Exception as e:  # noqa: BLE001 - counted, the run is then rejected
                errors.add(e)
            lat.append(time.perf_counter() - t)
        return lat
    counter = itertools.count()  # next() is atomic under the GIL
    lats: List[List[float]] = [[] for _ in range(threads)]

    def worker(out: List[float]) -> None:
        while next(counter) < n and time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                get(ref)
            except Exception as e:  # noqa: BLE001
                errors.add(e)
            out.append(time.perf_counter() - t)

    pool = [threading.Thread(target=worker, args=(lats[k],)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return [x for part in lats for x in part]


async def drive_async(get: AsyncGet, ref: str, n: int, concurrency: int, errors: Errors,
                      seconds: float) -> List[float]:
    """`n` calls from `concurrency` tasks (1: sequentially); no call starts after `seconds`."""
    counter = itertools.count()
    lats: List[List[float]] = [[] for _ in range(concurrency)]
    deadline = time.perf_counter() + seconds

    async def worker(out: List[float]) -> None:
        while next(counter) < n and time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                await get(ref)
            except Exception as e:  # noqa: BLE001
                errors.add(e)
            out.append(time.perf_counter() - t)

    if concurrency <= 1:
        await worker(lats[0])
    else:
        await asyncio.gather(*(worker(lats[k]) for k in range(concurrency)))
    return [x for part in lats for x in part]


# --- clients -----------------------------------------------------------------------------------


def sdk_request(n: int, issued: str) -> Dict[str, Any]:
    """A draft create request as an SDK user writes it (the SDK fills in the rest)."""
    return {
        "provider_account_id": ACCOUNT_MATBAO,
        "template_code": "1",
        "invoice_series": "C26TSE",
        "issued_date": issued,
        "is_draft": True,
        "buyer": {"name": f"Khách hàng {n}", "tax_code": "0100233488"},
        "items": [{"item_name": "Sản phẩm A", "quantity": 2, "unit_price": 100_000, "tax_rate": 10}],
    }


def run_sync_calls(client: str, args: argparse.Namespace) -> Dict[str, Any]:
    threads = args.threads if args.workload == "W2" else 1
    close: Callable[[], None]
    if client == "py.Client":
        import sepay_einvoice as se

        sdk = se.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=args.base_url)
        get: SyncGet = sdk.get_invoice
        close = sdk.close
    elif client == "py.requests":
        from py_requests import RequestsPeer

        peer = RequestsPeer(args.base_url, pool=max(threads, 1))
        get, close = peer.get_invoice, peer.close
    elif client == "py.httpx":
        from py_httpx import HttpxPeer

        hpeer = HttpxPeer(args.base_url, pool=max(threads, 1))
        get, close = hpeer.get_invoice, hpeer.close
    else:
        raise SystemExit(f"unknown sync client {client}")
    warm = Errors()
    drive_sync(get, args.ref, NO_CAP, threads, warm, args.warmup_seconds)
    if warm.count:
        raise SystemExit(f"warm-up failed: {warm.first}")
    errors, meter = Errors(), Meter()
    meter.start()
    lat = drive_sync(get, args.ref, NO_CAP, threads, errors, args.seconds)
    meter.stop()
    close()
    result = call_summary(meter, lat, errors.count, errors.first)
    result["callers"] = f"{threads} thread{'s' if threads > 1 else ''}"
    return result


async def open_async(client: str, base_url: str, pool: int) -> Any:
    """An object with `get_invoice` (async) and `close()` (async or not)."""
    if client == "py.AsyncClient":
        import sepay_einvoice as se

        sdk = se.AsyncClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base_url)
        await sdk.authenticate()  # the token, as every peer fetches it once before measuring
        return sdk
    if client == "py.httpx-async":
        from py_httpx import HttpxAsyncPeer

        return await HttpxAsyncPeer.open(base_url, pool)
    if client in ("py.aiohttp", "py.fixed-2s"):
        from py_aiohttp import AiohttpPeer

        return await AiohttpPeer.open(base_url, pool)
    raise SystemExit(f"unknown async client {client}")


async def close_async(obj: Any) -> None:
    res = obj.close()
    if asyncio.iscoroutine(res):
        await res


async def run_async_calls(client: str, args: argparse.Namespace) -> Dict[str, Any]:
    concurrency = args.concurrency if args.workload == "W2" else 1
    obj = await open_async(client, args.base_url, max(concurrency, 1))
    warm = Errors()
    await drive_async(obj.get_invoice, args.ref, NO_CAP, concurrency, warm, args.warmup_seconds)
    if warm.count:
        raise SystemExit(f"warm-up failed: {warm.first}")
    errors, meter = Errors(), Meter()
    meter.start()
    lat = await drive_async(obj.get_invoice, args.ref, NO_CAP, concurrency, errors, args.seconds)
    meter.stop()
    await close_async(obj)
    result = call_summary(meter, lat, errors.count, errors.first)
    result["callers"] = f"{concurrency} task{'s' if concurrency > 1 else ''}"
    return result


async def run_waits(client: str, args: argparse.Namespace) -> Dict[str, Any]:
    """N create-and-wait calls started at once; each call's time from start to result."""
    issued = issued_date()
    # The peer's pool: aiohttp's default connector limit (100), what a user of it gets.
    obj = await open_async(client, args.base_url, 100)
    if client == "py.AsyncClient":

        async def one(i: int) -> Any:
            return await obj.create_invoice_and_wait(sdk_request(i, issued))

    elif client == "py.fixed-2s":

        async def one(i: int) -> Any:
            return await obj.create_and_wait_fixed(i, issued, interval=2.0)

    else:
        raise SystemExit(f"{client} does not run {args.workload}")
    errors = Errors()
    waits: List[float] = []

    async def timed(i: int) -> None:
        t = time.perf_counter()
        try:
            await one(i)
        except Exception as e:  # noqa: BLE001
            errors.add(e)
            return
        waits.append(time.perf_counter() - t)

    rss_before = status_kib("VmRSS") / 1024
    meter = Meter()
    meter.start()
    await asyncio.gather(*(timed(i) for i in range(args.n)))
    meter.stop()
    await close_async(obj)
    waits.sort()
    return {
        "jobs": args.n,
        "errors": errors.count,
        "first_error": errors.first,
        "wall_s": meter.elapsed,
        "wait_p50_s": percentile(waits, 0.50),
        "wait_p99_s": percentile(waits, 0.99),
        "wait_min_s": waits[0] if waits else float("nan"),
        "wait_max_s": waits[-1] if waits else float("nan"),
        "cpu_s": meter.cpu,
        "rss_before_mib": rss_before,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("client")
    ap.add_argument("workload", choices=["W1", "W2", "W3", "W5"])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--n", type=int, default=1000, help="jobs (W3/W5)")
    ap.add_argument("--warmup-seconds", type=float, default=1.0, help="calls before the measured ones (W1/W2)")
    ap.add_argument("--ref", default="")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pending-ms", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=3.0, help="the measured phase (W1/W2)")
    args = ap.parse_args()

    if args.workload in ("W3", "W5"):
        result = asyncio.run(run_waits(args.client, args))
    elif args.client in ("py.Client", "py.requests", "py.httpx"):
        result = run_sync_calls(args.client, args)
    else:
        result = asyncio.run(run_async_calls(args.client, args))
    result["rss_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
