"""The benchmark harness: every workload, every client, one mock, clients interleaved.

    python bench/harness.py {full,quick,smoke} --out DIR

Run through `bash bench/run.sh MODE` (what `make bench`, `make bench-quick` and
`make bench-smoke` call), which builds the artifacts and tells this script where they are with
SEPAY_BENCH_* variables (see `Artifacts`). This script starts one mock
(`sepay-einvoice-mock`), creates one draft for the get_invoice workloads, and then, for each
workload and each repetition, runs every client once in a rotated order (repetition r starts at
the r-th client), each client in a fresh process of its own (bench/workers/). It writes
DIR/latest.json; bench/report.py turns that into the Markdown table and the charts.

Any failed call, failed worker or missing tool ends the run with an error: no number is written
from a run that was not complete.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
ACCOUNT_MATBAO = "0aea3134-da40-11f0-aef4-52c7e9b4f41b"
U32_MAX = 4_294_967_295

# --- what runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    name: str
    reps: int
    warmup_seconds: float  # W1/W2: every client calls this long before its measured phase
    seconds: float  # W1/W2: the measured phase (and wrk's duration)
    w3_n: int
    w3_pending_ms: Tuple[int, ...]
    w4_reps: int
    w5_n: int
    w5_pending_ms: int
    concurrency: int = 64
    threads: int = 8


MODES: Dict[str, Mode] = {
    "full": Mode("full", reps=5, warmup_seconds=2.0, seconds=3.0, w3_n=500, w3_pending_ms=(1000, 3000),
                 w4_reps=15, w5_n=10000, w5_pending_ms=3000),
    "quick": Mode("quick", reps=3, warmup_seconds=1.0, seconds=1.0, w3_n=100, w3_pending_ms=(1000, 3000),
                  w4_reps=7, w5_n=2000, w5_pending_ms=3000),
    "smoke": Mode("smoke", reps=1, warmup_seconds=0.1, seconds=0.2, w3_n=4, w3_pending_ms=(1000,),
                  w4_reps=1, w5_n=64, w5_pending_ms=500),
}

# Clients per workload. The first of each group is the SDK; the rest are its peers.
W1_CLIENTS = ["py.Client", "py.AsyncClient", "py.requests", "py.httpx", "py.httpx-async", "py.aiohttp",
              "node.Client", "node.fetch", "node.axios", "rust.Client", "rust.reqwest"]
W2_CLIENTS = ["py.AsyncClient", "py.httpx-async", "py.aiohttp", "node.Client", "node.fetch", "node.axios",
              "rust.Client", "rust.reqwest", "wrk"]
W2T_CLIENTS = ["py.Client", "py.requests", "py.httpx"]
W3_CLIENTS = ["py.AsyncClient", "node.Client", "rust.Client", "py.fixed-2s"]
W5_CLIENTS = ["py.AsyncClient", "node.Client", "py.fixed-2s"]
W4_PYTHON = ["sepay_einvoice", "httpx", "aiohttp", "requests"]
W4_NODE = ["sepay-einvoice", "axios", "undici"]

DESCRIPTIONS = {
    "py.Client": "sepay_einvoice.Client (blocking)",
    "py.AsyncClient": "sepay_einvoice.AsyncClient (asyncio)",
    "py.requests": "requests.Session + HTTPAdapter pool",
    "py.httpx": "httpx.Client with Limits",
    "py.httpx-async": "httpx.AsyncClient with Limits",
    "py.aiohttp": "aiohttp.ClientSession + TCPConnector",
    "py.fixed-2s": "aiohttp, polls every 2 s after the create",
    "node.Client": "sepay-einvoice Client",
    "node.fetch": "undici fetch + Agent (keep-alive)",
    "node.axios": "axios + keep-alive http.Agent",
    "rust.Client": "sepay_einvoice::Client",
    "rust.reqwest": "reqwest::Client + serde",
    "wrk": "wrk -t2 -c64 (C, no parsing): the mock's limit",
}

# Bounds used by the W5 target "a bounded number of sockets and threads".
W5_MAX_SOCKETS = 256
W5_MAX_THREADS = 64
W5_MAX_RSS_MIB = 150.0


class BenchError(RuntimeError):
    """The run cannot give trustworthy numbers."""


# --- the artifacts bench/run.sh built ------------------------------------------------------------


@dataclass(frozen=True)
class Artifacts:
    profile: str  # "release" or "debug"
    mock_bin: str
    python: str
    python_path: Optional[str]  # prepended to PYTHONPATH (smoke: the dev build of the module)
    node: str
    node_sdk: str  # directory of the sepay-einvoice package
    node_peers: str  # directory with node_modules/ holding undici and axios
    rust_worker: str
    wrk: str

    @staticmethod
    def from_env() -> Artifacts:
        def need(name: str) -> str:
            value = os.environ.get(name)
            if not value:
                raise BenchError(f"{name} is not set (run this through bash bench/run.sh)")
            return value

        wrk = shutil.which("wrk")
        if not wrk:
            raise BenchError("wrk is not installed (apt-get install wrk)")
        return Artifacts(
            profile=need("SEPAY_BENCH_PROFILE"),
            mock_bin=need("SEPAY_BENCH_MOCK_BIN"),
            python=os.environ.get("SEPAY_BENCH_PYTHON", sys.executable),
            python_path=os.environ.get("SEPAY_BENCH_PYTHONPATH") or None,
            node=os.environ.get("SEPAY_BENCH_NODE", "node"),
            node_sdk=need("SEPAY_BENCH_NODE_SDK"),
            node_peers=need("SEPAY_BENCH_NODE_PEERS"),
            rust_worker=need("SEPAY_BENCH_RUST_WORKER"),
            wrk=wrk,
        )

    def worker_env(self) -> Dict[str, str]:
        """The environment of every client process: no SEPAY_EINVOICE_* settings or log filter
        from the caller's shell (the clients get everything on their command line)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEPAY_EINVOICE_")}
        if self.python_path:
            env["PYTHONPATH"] = self.python_path + os.pathsep + env.get("PYTHONPATH", "")
        env["SEPAY_BENCH_NODE_SDK"] = self.node_sdk
        env["SEPAY_BENCH_NODE_PEERS"] = self.node_peers
        return env


# --- the mock ----------------------------------------------------------------------------------


def die_with_parent() -> None:
    """Run in a child before exec: it gets SIGTERM when the harness dies, even by SIGKILL, so no
    mock or client outlives a killed run (Linux PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def proc_cpu_s(pid: int) -> float:
    """User + system CPU of a process (all its threads), seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Mock:
    """One `sepay-einvoice-mock` process on a free loopback port."""

    def __init__(self, binary: str, log: Path) -> None:
        self._log = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--quota", "1000000000", "--pending-ms", "0", "--pending-polls", "0"],
            stdout=subprocess.PIPE, stderr=self._log, text=True, preexec_fn=die_with_parent,
        )
        line: List[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline() if self.proc.stdout else ""))
        reader.start()
        reader.join(timeout=15)
        if not line or not line[0].startswith("http"):
            self.stop()
            raise BenchError(f"the mock did not start: see {log}")
        self.url = line[0].strip()
        self.token = ""

    def request(self, method: str, path: str, body: Any = None, auth: Optional[str] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", auth)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode())

    def config(self, **settings: int) -> None:
        self.request("POST", "/_mock/config", settings)

    def stats(self) -> Dict[str, Any]:
        result: Dict[str, Any] = self.request("GET", "/_mock/stats")
        return result

    def cpu_s(self) -> float:
        return proc_cpu_s(self.proc.pid)

    def draft(self) -> str:
        """Creates one draft (jobs complete at once at this point) and returns its reference."""
        basic = "Basic " + base64.b64encode(b"mock_client_id:mock_client_secret").decode()
        self.token = self.request("POST", "/v1/token", auth=basic)["data"]["access_token"]
        bearer = f"Bearer {self.token}"
        reference = f"bench-{os.getpid()}-{int(time.time())}"
        issued = (dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        body = {
            "reference_code": reference, "template_code": "1", "invoice_series": "C26TSE", "issued_date": issued,
            "currency": "VND", "provider_account_id": ACCOUNT_MATBAO, "is_draft": True,
            "buyer": {"type": "company", "name": "Công ty ABC", "tax_code": "0101234567", "address": "123 Đường A, Hà Nội"},
            "items": [{"line_number": 1, "line_type": 1, "item_code": "SP001", "item_name": "Sản phẩm A", "unit": "cái",
                       "quantity": 2, "unit_price": 100000, "tax_rate": 10}],
            "notes": "benchmark",
        }
        tracking = self.request("POST", "/v1/invoices/create", body, bearer)["data"]["tracking_code"]
        for _ in range(100):
            if self.request("GET", f"/v1/invoices/create/check/{tracking}", auth=bearer)["data"]["status"] == "Success":
                self.request("GET", f"/v1/invoices/{reference}", auth=bearer)
                return reference
            time.sleep(0.05)
        raise BenchError("the benchmark's draft did not complete")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# --- running one client ------------------------------------------------------------------------


@dataclass
class Peaks:
    """The most threads and sockets a process had open, sampled every 100 ms."""

    threads: int = 0
    sockets: int = 0
    samples: int = 0


def sample(pid: int, peaks: Peaks, done: threading.Event) -> None:
    while not done.is_set():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
            sockets = 0
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                        sockets += 1
                except OSError:
                    pass
        except (OSError, StopIteration):
            break
        peaks.threads, peaks.sockets = max(peaks.threads, threads), max(peaks.sockets, sockets)
        peaks.samples += 1
        done.wait(0.1)


class Runner:
    def __init__(self, art: Artifacts, mock: Mock, mode: Mode, logs: Path) -> None:
        self.art, self.mock, self.mode, self.logs = art, mock, mode, logs
        self.env = art.worker_env()
        self.runs = 0

    def command(self, client: str, workload: str, extra: Sequence[str]) -> List[str]:
        lang = client.split(".", 1)[0]
        args = [client, workload, "--base-url", self.mock.url, *extra]
        if lang == "py":
            return [self.art.python, str(BENCH / "workers" / "py_worker.py"), *args]
        if lang == "node":
            return [self.art.node, str(BENCH / "workers" / "node_worker.mjs"), *args]
        if lang == "rust":
            return [self.art.rust_worker, *args]
        raise BenchError(f"unknown client {client}")

    def worker(self, client: str, workload: str, extra: Sequence[str], watch: bool = False,
               timeout: float = 600) -> Dict[str, Any]:
        """Runs one client process; its JSON result plus the mock's CPU over the measured phase
        (between the worker's `@start` and `@stop` lines) and, when `watch`, the process's peak
        threads and sockets."""
        self.runs += 1
        cmd = self.command(client, workload, extra)
        err_path = self.logs / f"{self.runs:04d}-{client}-{workload}.stderr"
        marks: Dict[str, float] = {}
        lines: List[str] = []
        with open(err_path, "w", encoding="utf-8") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=self.env,
                                    preexec_fn=die_with_parent)
            killer = threading.Timer(timeout, proc.kill)
            killer.start()
            peaks, done = Peaks(), threading.Event()
            sampler = threading.Thread(target=sample, args=(proc.pid, peaks, done)) if watch else None
            if sampler:
                sampler.start()
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    line = line.strip()
                    if line in ("@start", "@stop"):
                        marks[line] = self.mock.cpu_s()
                    elif line.startswith("{"):
                        lines.append(line)
                proc.wait()
            finally:
                killer.cancel()
                done.set()
                if sampler:
                    sampler.join()
        if proc.returncode != 0 or not lines:
            tail = err_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise BenchError(f"{client} {workload} failed (exit {proc.returncode}"
                             f"{', killed after %.0f s' % timeout if proc.returncode == -signal.SIGKILL else ''}): "
                             f"{' '.join(cmd)}\n{tail}")
        if len(marks) != 2:
            raise BenchError(f"{client} {workload}: the worker did not mark its measured phase")
        result: Dict[str, Any] = json.loads(lines[-1])
        if result.get("errors"):
            raise BenchError(f"{client} {workload}: {result['errors']} calls failed, first: {result.get('first_error')}")
        result["mock_cpu_s"] = marks["@stop"] - marks["@start"]
        if watch:
            result["threads_peak"], result["sockets_peak"] = peaks.threads, peaks.sockets
        return result

    def wrk(self, ref: str) -> Dict[str, Any]:
        """wrk against the same route and mock: the most the mock answers on this machine."""
        mock_cpu0 = self.mock.cpu_s()
        cmd = [self.art.wrk, "-t2", f"-c{self.mode.concurrency}", f"-d{max(1, round(self.mode.seconds))}s", "--latency",
               "-H", f"Authorization: Bearer {self.mock.token}", f"{self.mock.url}/v1/invoices/{ref}"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        mock_cpu = self.mock.cpu_s() - mock_cpu0
        if "Non-2xx" in out or "Socket errors" in out:
            raise BenchError(f"wrk saw errors:\n{out}")
        m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
        total = re.search(r"^\s+(\d+) requests in", out, re.M)
        if not m or not total:
            raise BenchError(f"cannot read wrk's output:\n{out}")

        def pct(p: str) -> float:
            q = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
            if not q:
                return float("nan")
            return float(q.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[q.group(2)]

        calls = int(total.group(1))
        return {"calls": calls, "errors": 0, "calls_per_s": float(m.group(1)), "p50_ms": pct("50"), "p99_ms": pct("99"),
                "callers": f"{self.mode.concurrency} connections, 2 threads", "mock_cpu_s": mock_cpu}


# --- workloads ---------------------------------------------------------------------------------


def rotated(items: Sequence[str], r: int) -> List[str]:
    k = r % len(items)
    return list(items[k:]) + list(items[:k])


def medians(runs: List[Dict[str, Any]]) -> Dict[str, float]:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    out = {}
    for k in keys:
        vals = [float(r[k]) for r in runs if isinstance(r.get(k), (int, float)) and r[k] == r[k]]
        if vals:
            out[k] = statistics.median(vals)
    return out


@dataclass
class Workload:
    key: str
    title: str
    clients: List[str]
    settings: Dict[str, Any]
    runs: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    order: List[List[str]] = field(default_factory=list)
    wall_s: float = 0.0

    def as_json(self) -> Dict[str, Any]:
        return {
            "title": self.title,
            "settings": self.settings,
            "clients": {c: {"description": DESCRIPTIONS.get(c, c), "runs": self.runs[c], "median": medians(self.runs[c])}
                        for c in self.clients if self.runs.get(c)},
            "order": self.order,
            "wall_s": round(self.wall_s, 1),
        }


def repeat(w: Workload, reps: int, one: Callable[[str, int], Dict[str, Any]]) -> Workload:
    t0 = time.perf_counter()
    for r in range(reps):
        order = rotated(w.clients, r)
        w.order.append(order)
        for c in order:
            print(f"  {w.key} rep {r + 1}/{reps}: {c}", file=sys.stderr, flush=True)
            result = one(c, r)
            result["rep"] = r
            w.runs.setdefault(c, []).append(result)
    w.wall_s += time.perf_counter() - t0
    return w


def calls_workload(runner: Runner, key: str, title: str, clients: List[str], ref: str,
                   callers: Dict[str, str]) -> Workload:
    mode = runner.mode
    w = Workload(key, title, clients, {"warmup_seconds": mode.warmup_seconds, "seconds": mode.seconds, **callers})

    def one(client: str, _: int) -> Dict[str, Any]:
        if client == "wrk":
            res = runner.wrk(ref)
        else:
            extra = ["--warmup-seconds", str(mode.warmup_seconds), "--seconds", str(mode.seconds), "--ref", ref,
                     "--concurrency", str(mode.concurrency)]
            if client.startswith("py."):
                extra += ["--threads", str(mode.threads)]
            res = runner.worker(client, "W2" if key.startswith("W2") else "W1", extra)
        res["mock_cpu_ms_per_1000"] = res["mock_cpu_s"] / res["calls"] * 1e6
        return res

    return repeat(w, mode.reps, one)


def request_counts(before: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, int]:
    def total(stats: Dict[str, Any], route: str) -> int:
        return sum(int(v) for v in stats["requests"].get(route, {}).values())

    routes = set(before["requests"]) | set(after["requests"])
    return {r: total(after, r) - total(before, r) for r in sorted(routes) if total(after, r) != total(before, r)}


def waits_workload(runner: Runner, key: str, title: str, clients: List[str], n: int, pending_ms: int,
                   watch: bool) -> Workload:
    w = Workload(key, title, clients, {"jobs": n, "pending_ms": pending_ms})
    # Jobs complete by time alone: no number of polls completes one early.
    runner.mock.config(pending_ms=pending_ms, pending_polls=U32_MAX)

    def one(client: str, _: int) -> Dict[str, Any]:
        before = runner.mock.stats()
        res = runner.worker(client, key[:2], ["--n", str(n), "--pending-ms", str(pending_ms)], watch=watch)
        after = runner.mock.stats()
        counts = request_counts(before, after)
        if counts.get("create_invoice", 0) != n:
            raise BenchError(f"{client} {key}: the mock saw {counts.get('create_invoice', 0)} creates for {n} jobs")
        pending_s = pending_ms / 1e3
        res["requests"] = counts
        res["polls_per_job"] = counts.get("check_create", 0) / n
        res["requests_per_job"] = sum(counts.values()) / n
        res["wait_over_pending"] = res["wait_p50_s"] / pending_s
        res["lag_p50_s"] = res["wait_p50_s"] - pending_s
        return res

    repeat(w, runner.mode.reps, one)
    runner.mock.config(pending_ms=0, pending_polls=0)
    return w


def imports_workload(art: Artifacts, mode: Mode) -> Workload:
    """W4: the time of the import statement alone, in a fresh interpreter each time (the OS file
    cache is warm: every module was imported once before the first measured run)."""
    env = art.worker_env()
    peers_req = f"require('module').createRequire({json.dumps(str(Path(art.node_peers) / 'package.json'))})"
    commands: Dict[str, List[str]] = {}
    for m in W4_PYTHON:
        code = f"import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
        commands[f"py:{m}"] = [art.python, "-c", code]
    for m in W4_NODE:
        target = json.dumps(art.node_sdk) if m == "sepay-einvoice" else json.dumps(m)
        loader = "require" if m == "sepay-einvoice" else "r"
        code = (f"const r = {peers_req}; const t = process.hrtime.bigint(); {loader}({target}); "
                "console.log(Number(process.hrtime.bigint() - t) / 1e9)")
        commands[f"node:{m}"] = [art.node, "-e", code]
    names = list(commands)
    for name in names:  # warm the file cache; not measured
        subprocess.run(commands[name], env=env, capture_output=True, check=True)
    w = Workload("W4", "cold import / require (fresh process, warm file cache)", names, {"reps": mode.w4_reps})

    def one(name: str, _: int) -> Dict[str, Any]:
        out = subprocess.run(commands[name], env=env, capture_output=True, text=True, check=True).stdout
        return {"import_ms": float(out.strip().splitlines()[-1]) * 1e3}

    return repeat(w, mode.w4_reps, one)


# --- ratios and targets ------------------------------------------------------------------------


def per_run(w: Workload, metric: str, num: str, den: Callable[[int], float]) -> List[float]:
    out = []
    for run in w.runs.get(num, []):
        d = den(run["rep"])
        if d > 0:
            out.append(run[metric] / d)
    return out


def metric_of(w: Workload, client: str, metric: str) -> Callable[[int], float]:
    by_rep = {r["rep"]: float(r[metric]) for r in w.runs.get(client, [])}
    return lambda rep: by_rep.get(rep, float("nan"))


def best_of(w: Workload, clients: List[str], metric: str) -> Callable[[int], float]:
    return lambda rep: max(metric_of(w, c, metric)(rep) for c in clients)


def ratio_entry(name: str, values: List[float]) -> Dict[str, Any]:
    return {"name": name, "per_run": values, "median": statistics.median(values) if values else None,
            "min": min(values) if values else None, "max": max(values) if values else None}


def target(name: str, measured: Optional[float], op: str, threshold: float, detail: str,
           per_run_values: Optional[List[float]] = None) -> Dict[str, Any]:
    met = measured is not None and (measured >= threshold if op == ">=" else measured <= threshold)
    entry: Dict[str, Any] = {"target": name, "measured": measured, "op": op, "threshold": threshold,
                             "met": bool(met), "detail": detail}
    if per_run_values is not None:
        entry["per_run"] = per_run_values
    return entry


def evaluate(ws: Dict[str, Workload], mode: Mode, baseline: Optional[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    ratios: List[Dict[str, Any]] = []
    targets: List[Dict[str, Any]] = []

    def ratio(name: str, w: Workload, metric: str, num: str, den: Callable[[int], float]) -> Dict[str, Any]:
        r = ratio_entry(name, per_run(w, metric, num, den))
        ratios.append(r)
        return r

    w1, w2, w2t, w4, w5 = ws["W1"], ws["W2"], ws["W2t"], ws["W4"], ws["W5"]
    # Every SDK against each of its language's peers, on both call workloads.
    for w, groups in ((w1, [("py.Client", ["py.aiohttp", "py.requests", "py.httpx", "py.httpx-async"]),
                            ("py.AsyncClient", ["py.aiohttp", "py.httpx-async"]),
                            ("node.Client", ["node.fetch", "node.axios"]), ("rust.Client", ["rust.reqwest"])]),
                      (w2, [("py.AsyncClient", ["py.aiohttp", "py.httpx-async"]),
                            ("node.Client", ["node.fetch", "node.axios"]), ("rust.Client", ["rust.reqwest"])]),
                      (w2t, [("py.Client", ["py.requests", "py.httpx"])])):
        for sdk, peers in groups:
            for p in peers:
                ratio(f"{w.key} calls/s {sdk} / {p}", w, "calls_per_s", sdk, metric_of(w, p, "calls_per_s"))
                if w.key != "W1":
                    ratio(f"{w.key} CPU per call {sdk} / {p}", w, "cpu_ms_per_1000", sdk, metric_of(w, p, "cpu_ms_per_1000"))

    r = ratio("W1 calls/s py.Client / py.aiohttp", w1, "calls_per_s", "py.Client", metric_of(w1, "py.aiohttp", "calls_per_s"))
    targets.append(target("Python Client W1 calls/s ≥ 1.3× aiohttp", r["median"], ">=", 1.3,
                          "sequential get_invoice, median of per-run ratios", r["per_run"]))
    r = ratio("W1 calls/s py.AsyncClient / py.aiohttp", w1, "calls_per_s", "py.AsyncClient", metric_of(w1, "py.aiohttp", "calls_per_s"))
    targets.append(target("Python AsyncClient W1 calls/s ≥ 1.0× aiohttp", r["median"], ">=", 1.0,
                          "sequential get_invoice", r["per_run"]))
    r = ratio("W2 calls/s py.AsyncClient / py.aiohttp", w2, "calls_per_s", "py.AsyncClient", metric_of(w2, "py.aiohttp", "calls_per_s"))
    targets.append(target(f"Python AsyncClient W2 calls/s ≥ 2× aiohttp", r["median"], ">=", 2.0,
                          f"concurrency {mode.concurrency}", r["per_run"]))
    r = ratio("W2 CPU per call py.AsyncClient / py.aiohttp", w2, "cpu_ms_per_1000", "py.AsyncClient", metric_of(w2, "py.aiohttp", "cpu_ms_per_1000"))
    targets.append(target("Python AsyncClient W2 CPU per call ≤ 0.8× aiohttp", r["median"], "<=", 0.8,
                          "process CPU (all threads) per call", r["per_run"]))
    node_peers = ["node.fetch", "node.axios"]
    r = ratio("W2 calls/s node.Client / best Node peer", w2, "calls_per_s", "node.Client", best_of(w2, node_peers, "calls_per_s"))
    targets.append(target("Node W2 calls/s ≥ 3× the best Node peer", r["median"], ">=", 3.0,
                          "best of fetch+undici Agent and axios, per run", r["per_run"]))
    node_main = medians(w2.runs["node.Client"]).get("main_cpu_ms_per_1000")
    base_main, base_name = None, ""
    if baseline:
        base_main = (baseline.get("workloads", {}).get("W2", {}).get("clients", {}).get("node.Client", {})
                     .get("median", {}).get("main_cpu_ms_per_1000"))
        base_name = f"{baseline.get('baseline_of', 'the baseline')} ({baseline.get('mode')} mode)"
        if baseline.get("harness_digest") != harness_digest():
            base_name += ", MEASURED BY ANOTHER VERSION OF THE HARNESS: re-run bench/baseline.sh"
    if node_main is not None and base_main:
        targets.append(target("Node W2 main-thread CPU per call ≤ 0.5× the baseline", node_main / base_main, "<=", 0.5,
                              f"{node_main:.0f} vs {base_main:.0f} ms per 1000 calls in {base_name}"))
    else:
        targets.append(target("Node W2 main-thread CPU per call ≤ 0.5× the baseline", None, "<=", 0.5,
                              "no baseline (bench/results/baseline.json) to compare with"))
    for w in (w1, w2):
        r = ratio(f"{w.key} calls/s rust.Client / rust.reqwest", w, "calls_per_s", "rust.Client", metric_of(w, "rust.reqwest", "calls_per_s"))
        targets.append(target(f"Rust Client {w.key} calls/s ≥ 1.0× raw reqwest", r["median"], ">=", 1.0, "", r["per_run"]))
    sdks = ["py.AsyncClient", "node.Client", "rust.Client"]
    for key in sorted(k for k in ws if k.startswith("W3")):
        w = ws[key]
        pending_s = w.settings["pending_ms"] / 1e3
        med = {c: medians(w.runs[c]) for c in w.clients}
        worst = max(sdks, key=lambda c: med[c]["wait_over_pending"])
        detail = ", ".join(f"{c} {med[c]['wait_p50_s']:.2f} s" for c in sdks)
        targets.append(target(f"{key}: detection ≤ 1.1× the {pending_s:g} s pending time", med[worst]["wait_over_pending"],
                              "<=", 1.1, f"median wait / pending of the worst SDK ({worst}); {detail}; "
                              f"fixed 2 s poller {med['py.fixed-2s']['wait_p50_s']:.2f} s"))
        fixed = med["py.fixed-2s"]["polls_per_job"]
        worst_polls = max(sdks, key=lambda c: med[c]["polls_per_job"])
        targets.append(target(f"{key}: polls per job ≤ the fixed 2 s poller's", med[worst_polls]["polls_per_job"] / fixed if fixed else None,
                              "<=", 1.0, "polls of the worst SDK / fixed poller's ("
                              + ", ".join(f"{c} {med[c]['polls_per_job']:.2f}" for c in sdks) + f"; fixed {fixed:.2f})"))
    for c, label in (("py.AsyncClient", "Python AsyncClient"), ("node.Client", "Node Client")):
        m = medians(w5.runs[c])
        note = "" if mode.w5_n == 10000 else f" (measured with {mode.w5_n} waits, not 10,000: {mode.name} mode)"
        targets.append(target(f"W5 {label}: peak RSS ≤ {W5_MAX_RSS_MIB:g} MiB for 10,000 waits", m["rss_peak_mib"], "<=",
                              W5_MAX_RSS_MIB, f"MiB{note}"))
        bounded = m["sockets_peak"] <= W5_MAX_SOCKETS and m["threads_peak"] <= W5_MAX_THREADS
        targets.append({"target": f"W5 {label}: sockets ≤ {W5_MAX_SOCKETS} and threads ≤ {W5_MAX_THREADS}",
                        "measured": {"sockets_peak": m["sockets_peak"], "threads_peak": m["threads_peak"]},
                        "op": "<=", "threshold": {"sockets_peak": W5_MAX_SOCKETS, "threads_peak": W5_MAX_THREADS},
                        "met": bounded, "detail": f"peaks sampled every 100 ms{note}"})
    r = ratio("W4 import sepay_einvoice / import httpx", w4, "import_ms", "py:sepay_einvoice", metric_of(w4, "py:httpx", "import_ms"))
    targets.append(target("W4: import sepay_einvoice ≤ 0.5× import httpx", r["median"], "<=", 0.5, "", r["per_run"]))
    ratio("W4 require sepay-einvoice / require axios", w4, "import_ms", "node:sepay-einvoice", metric_of(w4, "node:axios", "import_ms"))
    # The mock: wrk's calls/s is its capacity on this machine (sharing the 2 cores with wrk, as it
    # shares them with each client); it must exceed every Python and Node client's. A Rust client
    # needs about as little CPU per call as the mock itself, so there the two split the machine:
    # the second row shows, for the worst client, the mock's CPU per call over the client's.
    py_node = [c for c in w2.clients if c.startswith(("py.", "node."))]
    r = ratio("W2 calls/s wrk / fastest Python or Node client", w2, "calls_per_s", "wrk", best_of(w2, py_node, "calls_per_s"))
    wrk_med = medians(w2.runs["wrk"])
    targets.append(target("Mock never the limit: its capacity (wrk) ≥ 1.2× the fastest Python or Node W2 client",
                          r["median"], ">=", 1.2, f"wrk {wrk_med['calls_per_s']:,.0f} calls/s, the mock using "
                          f"{wrk_med['mock_cpu_ms_per_1000']:.0f} ms CPU per 1000", r["per_run"]))
    shares = {c: statistics.median([run["mock_cpu_ms_per_1000"] / run["cpu_ms_per_1000"] for run in w2.runs[c]])
              for c in w2.clients if c != "wrk"}
    worst = max(shares, key=lambda c: shares[c])
    targets.append(target("Mock never the limit: its CPU per call ≤ the client's own, every W2 client", shares[worst], "<=",
                          1.0, f"mock CPU / client CPU per call, worst: {worst}; "
                          + ", ".join(f"{c} {v:.2f}" for c, v in shares.items())))
    return ratios, targets


# --- facts about the machine and the software ----------------------------------------------------


def run_text(cmd: Sequence[str], env: Optional[Dict[str, str]] = None) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def busy_cpu_s() -> float:
    """CPU time the whole machine has spent busy since boot (all cores, /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU of this process and of every child it has waited for (workers, wrk, the mock)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def machine() -> Dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "memory": mem, "kernel": platform.release(),
            "os": platform.platform()}


def versions(art: Artifacts) -> Dict[str, str]:
    env = art.worker_env()
    py = run_text([art.python, "-c", "import sys, importlib.metadata as m, sepay_einvoice as s\n"
                   "print(sys.version.split()[0]); print(s.__file__)\n"
                   "for p in ('sepay-einvoice', 'requests', 'httpx', 'aiohttp'):\n"
                   "    try: print(m.version(p))\n    except Exception: print('?')"], env).splitlines()
    v: Dict[str, str] = {}
    if len(py) >= 6:
        v.update({"python": py[0], "python sepay_einvoice": f"{py[2]} ({py[1]})", "requests": py[3], "httpx": py[4],
                  "aiohttp": py[5]})
    v["node"] = run_text([art.node, "--version"])
    for pkg in ("undici", "axios"):
        try:
            v[pkg] = json.loads((Path(art.node_peers) / "node_modules" / pkg / "package.json").read_text())["version"]
        except OSError:
            v[pkg] = "?"
    v["node sepay-einvoice"] = art.node_sdk
    v["rustc"] = run_text(["rustc", "--version"])
    lock = (ROOT / "Cargo.lock").read_text(encoding="utf-8")
    m = re.search(r'name = "reqwest"\nversion = "([^"]+)"', lock)
    v["reqwest"] = m.group(1) if m else "?"
    v["wrk"] = run_text([art.wrk, "--version"]).splitlines()[0] if run_text([art.wrk, "--version"]) else "?"
    v["mock"] = art.mock_bin
    v["rust worker"] = art.rust_worker
    return v


def harness_digest() -> str:
    """A digest of the code that measures (harness, workers, peers): a baseline is comparable only
    when it was measured by the same code."""
    import hashlib

    h = hashlib.sha256()
    files = [BENCH / "harness.py", BENCH / "client_rust.rs", *sorted((BENCH / "workers").iterdir()),
             *sorted((BENCH / "peers").iterdir())]
    for f in files:
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def git_state() -> Dict[str, Any]:
    """The commit the SDK was built from, and whether its sources had uncommitted changes."""
    other = os.environ.get("SEPAY_BENCH_SDK_COMMIT")  # bench/baseline.sh: an exported commit
    if other:
        return {"commit": other, "sdk_sources_modified": False}
    commit = run_text(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    dirty = run_text(["git", "-C", str(ROOT), "status", "--porcelain", "--", "core", "mock-server", "bindings-python",
                      "bindings-node", "Cargo.lock"])
    return {"commit": commit, "sdk_sources_modified": bool(dirty)}


# --- main --------------------------------------------------------------------------------------


def on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=sorted(MODES))
    ap.add_argument("--out", type=Path, required=True, help="directory for latest.json and the run's logs")
    ap.add_argument("--baseline", type=Path, default=BENCH / "results" / "baseline.json",
                    help="an earlier run to compare the Node main-thread CPU with")
    ap.add_argument("--label", default="", help="a note stored in the results (e.g. 'baseline of <commit>')")
    args = ap.parse_args()
    mode = MODES[args.mode]
    # SIGTERM (a killed make, a CI timeout) unwinds like Ctrl-C, so the mock is stopped.
    signal.signal(signal.SIGTERM, on_sigterm)

    art = Artifacts.from_env()
    # W5 may hold thousands of sockets in one client: give the clients the hard limit of open files.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.out.mkdir(parents=True, exist_ok=True)
    logs = ROOT / "target" / "bench" / "logs" / mode.name
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    started = time.time()
    load_before = os.getloadavg()
    busy0, own0 = busy_cpu_s(), own_cpu_s()
    print(f"== bench {mode.name}: {os.cpu_count()} cores, load average {load_before[0]:.2f} "
          f"{load_before[1]:.2f} {load_before[2]:.2f}", file=sys.stderr, flush=True)
    mock = Mock(art.mock_bin, logs / "mock.log")
    try:
        ref = mock.draft()
        runner = Runner(art, mock, mode, logs)
        ws: Dict[str, Workload] = {}
        ws["W1"] = calls_workload(runner, "W1", "sequential get_invoice (one caller)", W1_CLIENTS, ref,
                                  {"callers": "1"})
        ws["W2"] = calls_workload(runner, "W2", f"get_invoice, concurrency {mode.concurrency}", W2_CLIENTS, ref,
                                  {"callers": str(mode.concurrency)})
        ws["W2t"] = calls_workload(runner, "W2t", f"get_invoice from {mode.threads} threads (blocking clients)",
                                   W2T_CLIENTS, ref, {"callers": f"{mode.threads} threads"})
        for pending in mode.w3_pending_ms:
            key = f"W3-{pending / 1000:g}s"
            ws[key] = waits_workload(runner, key, f"{mode.w3_n} create-and-wait at once, jobs pending {pending / 1000:g} s",
                                     W3_CLIENTS, mode.w3_n, pending, watch=False)
        ws["W5"] = waits_workload(runner, "W5", f"{mode.w5_n} concurrent create-and-wait, jobs pending "
                                  f"{mode.w5_pending_ms / 1000:g} s", W5_CLIENTS, mode.w5_n, mode.w5_pending_ms, watch=True)
        final_stats = mock.stats()
    finally:
        mock.stop()
    ws["W4"] = imports_workload(art, mode)
    load_after = os.getloadavg()
    # What other processes took from the 2 cores while this ran (the load average cannot tell:
    # it also counts this run's own processes, and the build just before it).
    wall = time.time() - started
    busy, own = busy_cpu_s() - busy0, own_cpu_s() - own0
    foreign = max(0.0, busy - own)

    baseline = None
    if args.baseline.exists():
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    ratios, targets = evaluate(ws, mode, baseline)
    result = {
        "schema": 1,
        "mode": mode.name,
        "label": args.label,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_s": round(wall, 1),
        "git": git_state(),
        "harness_digest": harness_digest(),
        "machine": {**machine(), "loadavg_before": list(load_before), "loadavg_after": list(load_after),
                    "machine_busy_cpu_s": round(busy, 1), "this_run_cpu_s": round(own, 1),
                    "other_processes_cpu_s": round(foreign, 1),
                    "other_processes_share": round(foreign / (wall * (os.cpu_count() or 1)), 3)},
        "artifacts": {"profile": art.profile},
        "versions": versions(art),
        "settings": asdict(mode),
        "mock": {"requests_total": final_stats.get("requests_total"), "invoices": final_stats.get("invoices")},
        "workloads": {k: w.as_json() for k, w in ws.items()},
        "ratios": ratios,
        "targets": targets,
    }
    out = args.out / "latest.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    met = sum(1 for t in targets if t["met"])
    print(f"== wrote {out} in {result['wall_s']} s: {met}/{len(targets)} targets met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
