"""Turns a harness run (latest.json) into a Markdown report and PNG charts.

    python bench/report.py DIR [--doc docs/PERFORMANCE.md]

Writes DIR/latest.md and DIR/w1.png, w2.png, w3.png, w4.png, w5.png. With --doc, also replaces
the part of that file between `<!-- bench:begin -->` and `<!-- bench:end -->` with the same
tables, so no number in the document is typed by hand. Run by bench/run.sh after every run.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# The README's short version: the targets table only.
TARGETS_BEGIN, TARGETS_END = "<!-- bench-targets:begin -->", "<!-- bench-targets:end -->"
COLORS = {"py": "#3572A5", "node": "#8CC84B", "rust": "#DEA584", "wrk": "#999999"}


def lang(client: str) -> str:
    return client.split(".", 1)[0].split(":", 1)[0]


def num(x: Optional[float], digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def spread(runs: List[Dict[str, Any]], key: str, digits: int = 0) -> str:
    vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    if len(vals) < 2:
        return ""
    return f"{num(min(vals), digits)}–{num(max(vals), digits)}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def fmt_measured(t: Dict[str, Any]) -> str:
    m = t["measured"]
    if m is None:
        return "not measured"
    if isinstance(m, dict):
        return ", ".join(f"{k.replace('_peak', '')} {v}" for k, v in m.items())
    return f"{m:.2f}"


def fmt_goal(t: Dict[str, Any]) -> str:
    th = t["threshold"]
    if isinstance(th, dict):
        return ", ".join(f"{k.replace('_peak', '')} {t['op']} {v}" for k, v in th.items())
    return f"{t['op']} {th:g}"


BEFORE_AFTER = [
    ("W1", "py.Client", "calls_per_s", "W1 calls/s"),
    ("W1", "py.AsyncClient", "calls_per_s", "W1 calls/s"),
    ("W1", "node.Client", "calls_per_s", "W1 calls/s"),
    ("W1", "rust.Client", "calls_per_s", "W1 calls/s"),
    ("W2", "py.AsyncClient", "calls_per_s", "W2 calls/s"),
    ("W2", "py.AsyncClient", "cpu_ms_per_1000", "W2 CPU ms / 1000 calls"),
    ("W2", "node.Client", "calls_per_s", "W2 calls/s"),
    ("W2", "node.Client", "cpu_ms_per_1000", "W2 CPU ms / 1000 calls"),
    ("W2", "node.Client", "main_cpu_ms_per_1000", "W2 main-thread CPU ms / 1000 calls"),
    ("W2", "rust.Client", "calls_per_s", "W2 calls/s"),
    ("W2t", "py.Client", "calls_per_s", "W2t calls/s (8 threads)"),
    ("W3-1s", "py.AsyncClient", "wait_p50_s", "W3 1 s: wait p50 s"),
    ("W3-1s", "py.AsyncClient", "polls_per_job", "W3 1 s: polls per job"),
    ("W3-3s", "py.AsyncClient", "wait_p50_s", "W3 3 s: wait p50 s"),
    ("W3-3s", "py.AsyncClient", "polls_per_job", "W3 3 s: polls per job"),
    ("W5", "py.AsyncClient", "rss_peak_mib", "W5 peak RSS MiB"),
    ("W5", "node.Client", "rss_peak_mib", "W5 peak RSS MiB"),
    ("W4", "py:sepay_einvoice", "import_ms", "W4 import ms"),
    ("W4", "node:sepay-einvoice", "import_ms", "W4 require ms"),
]


def before_after(res: Dict[str, Any], base: Dict[str, Any]) -> List[str]:
    """The SDK's own figures now and in the baseline run (an earlier commit of the SDK)."""

    def med(r: Dict[str, Any], key: str, client: str, metric: str) -> Optional[float]:
        v = r["workloads"].get(key, {}).get("clients", {}).get(client, {}).get("median", {}).get(metric)
        return float(v) if isinstance(v, (int, float)) else None

    rows = []
    for key, client, metric, label in BEFORE_AFTER:
        now, then = med(res, key, client, metric), med(base, key, client, metric)
        if now is None or then is None:
            continue
        digits = 2 if metric in ("wait_p50_s", "polls_per_job") else (1 if metric == "import_ms" else 0)
        rows.append([label, f"`{client}`", num(then, digits), num(now, digits), f"{now / then:.2f}" if then else "–"])
    sizes = (f"baseline: {base['mode']} mode, W5 with {base['settings']['w5_n']} waits; "
             f"now: {res['mode']} mode, W5 with {res['settings']['w5_n']} waits")
    if base.get("harness_digest") != res.get("harness_digest"):
        sizes += (". **The baseline was measured by a different version of the harness** (bench/harness.py, "
                  "workers or peers changed since): re-run `bash bench/baseline.sh` before comparing")
    return [f"### Against the baseline ({base.get('baseline_of', 'an earlier run')}, {base['date']})", "",
            sizes + ".", ""] + table(["metric", "client", "baseline", "now", "now / baseline"], rows) + [""]


def markdown(res: Dict[str, Any], charts_prefix: str, base: Optional[Dict[str, Any]] = None) -> str:
    w = res["workloads"]
    m = res["machine"]
    s = res["settings"]
    lines = [
        f"Mode **{res['mode']}** ({s['reps']} run{'s' if s['reps'] > 1 else ''} of each client per workload, "
        "clients interleaved), "
        f"{res['date']}, commit `{res['git']['commit'][:10]}`"
        + (" with uncommitted SDK changes" if res["git"].get("sdk_sources_modified") else "")
        + f", {res['artifacts']['profile']} builds; {m['nproc']} × {m['cpu_model']}, {m['memory']}; "
        f"load average {m['loadavg_before'][0]:.2f} before, {m['loadavg_after'][0]:.2f} after; "
        + (f"other processes used {m['other_processes_share'] * 100:.0f} % of the CPU during the run; "
           if "other_processes_share" in m else "")
        +
        f"whole run {res['wall_s']:.0f} s." + (f" {res['label']}." if res.get("label") else ""),
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items()
                                 if k not in ("mock", "rust worker", "node sepay-einvoice")) + ".",
        "",
        "### Targets",
        "",
    ]
    met = sum(1 for t in res["targets"] if t["met"])
    lines += table(["target", "measured", "goal", "met", "how"],
                   [[t["target"], fmt_measured(t), fmt_goal(t), "✅ yes" if t["met"] else "❌ no", t["detail"]]
                    for t in res["targets"]])
    lines += ["", f"{met} of {len(res['targets'])} targets met.", ""]
    if base:
        lines += before_after(res, base)

    def calls_section(key: str, extra_cols: bool) -> None:
        wl = w[key]
        lines.extend([f"### {key}: {wl['title']}", ""])
        if key != "W2t":  # W2t is drawn in the W2 chart
            lines.extend([f"![{key}]({charts_prefix}{key.lower()}.png)", ""])
        header = ["client", "what", "calls/s (median)", "calls/s (runs)", "p50 ms", "p99 ms", "CPU ms / 1000 calls"]
        if extra_cols:
            header += ["main thread CPU ms / 1000", "mock CPU ms / 1000"]
        rows = []
        for c, d in wl["clients"].items():
            med = d["median"]
            row = [f"`{c}`", d["description"], num(med.get("calls_per_s")), spread(d["runs"], "calls_per_s"),
                   num(med.get("p50_ms"), 2), num(med.get("p99_ms"), 2), num(med.get("cpu_ms_per_1000"))]
            if extra_cols:
                row += [num(med.get("main_cpu_ms_per_1000")), num(med.get("mock_cpu_ms_per_1000"))]
            rows.append(row)
        lines.extend(table(header, rows))
        lines.append("")

    calls_section("W1", False)
    calls_section("W2", True)
    calls_section("W2t", True)
    lines.extend([f"### W3: create-and-wait, polls and detection", "", f"![W3]({charts_prefix}w3.png)", ""])
    rows = []
    for key in sorted(k for k in w if k.startswith("W3")):
        wl = w[key]
        for c, d in wl["clients"].items():
            med = d["median"]
            rows.append([key, f"`{c}`", str(wl["settings"]["jobs"]), num(med["wall_s"], 2), num(med["wait_p50_s"], 2),
                         num(med["wait_p99_s"], 2), num(med["wait_over_pending"], 2), num(med["polls_per_job"], 2),
                         num(med["requests_per_job"], 2)])
    lines.extend(table(["workload", "client", "jobs", "wall s", "wait p50 s", "wait p99 s", "wait / pending",
                        "polls per job", "requests per job"], rows))
    lines.append("")
    wl = w["W5"]
    lines.extend([f"### W5: {wl['title']}", "", f"![W5]({charts_prefix}w5.png)", ""])
    rows = []
    for c, d in wl["clients"].items():
        med = d["median"]
        rows.append([f"`{c}`", d["description"], num(med["rss_peak_mib"]), spread(d["runs"], "rss_peak_mib"),
                     num(med["rss_before_mib"]), num(med["threads_peak"]), num(med["sockets_peak"]),
                     num(med["wall_s"], 2), num(med["wait_p50_s"], 2), num(med["polls_per_job"], 2)])
    lines.extend(table(["client", "what", "peak RSS MiB", "runs", "RSS before MiB", "threads (peak)",
                        "sockets (peak)", "wall s", "wait p50 s", "polls per job"], rows))
    lines.append("")
    wl = w["W4"]
    lines.extend([f"### W4: {wl['title']}", "", f"![W4]({charts_prefix}w4.png)", ""])
    lines.extend(table(["module", "import ms (median)", "runs"],
                       [[f"`{c}`", num(d["median"]["import_ms"], 1), spread(d["runs"], "import_ms", 1)]
                        for c, d in wl["clients"].items()]))
    lines.extend(["", "### Ratios (paired by run: the two clients of a ratio ran in the same repetition)", ""])
    lines.extend(table(["ratio", "median", "min", "max", "per run"],
                       [[r["name"], num(r["median"], 2), num(r["min"], 2), num(r["max"], 2),
                         " ".join(f"{v:.2f}" for v in r["per_run"])] for r in res["ratios"]]))
    return "\n".join(lines) + "\n"


def charts(res: Dict[str, Any], out: Path) -> List[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = res["workloads"]
    written: List[Path] = []
    reps = res["settings"]["reps"]
    note = f"{res['mode']} mode, {res['machine']['nproc']} cores, " + (f"medians of {reps} runs" if reps > 1 else "one run")

    def bars(ax: Any, names: List[str], values: List[float], label: str, fmt: Callable[[float], str]) -> None:
        y = range(len(names))
        ax.barh(list(y), values, color=[COLORS.get(lang(n), "#666") for n in names])
        ax.set_yticks(list(y), names)
        ax.invert_yaxis()
        ax.set_xlabel(label)
        for i, v in enumerate(values):
            if v == v:
                ax.text(v, i, " " + fmt(v), va="center", fontsize=8)
        ax.margins(x=0.18)

    def save(fig: Any, name: str, title: str) -> None:
        fig.suptitle(f"{title}\n{note}", fontsize=10)
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    for key, title in (("W1", "W1: sequential get_invoice"),):
        cl = w[key]["clients"]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        bars(ax, list(cl), [d["median"]["calls_per_s"] for d in cl.values()], "calls/s (higher is better)",
             lambda v: f"{v:,.0f}")
        save(fig, "w1.png", title)

    cl = {**w["W2"]["clients"], **{f"{c} (8 threads)": d for c, d in w["W2t"]["clients"].items()}}
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5))
    bars(a1, list(cl), [d["median"]["calls_per_s"] for d in cl.values()], "calls/s (higher is better)",
         lambda v: f"{v:,.0f}")
    no_wrk = {c: d for c, d in cl.items() if c != "wrk"}
    bars(a2, list(no_wrk), [d["median"]["cpu_ms_per_1000"] for d in no_wrk.values()],
         "client CPU ms per 1000 calls (lower is better)", lambda v: f"{v:,.0f}")
    save(fig, "w2.png", f"W2: get_invoice at concurrency {res['settings']['concurrency']} (and blocking clients from 8 threads)")

    keys = sorted(k for k in w if k.startswith("W3"))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    names = [f"{c} {k[3:]}" for k in keys for c in w[k]["clients"]]
    meds = [d["median"] for k in keys for d in w[k]["clients"].values()]
    bars(a1, names, [m["wait_over_pending"] for m in meds], "median wait / job pending time (1.0 = seen at once)",
         lambda v: f"{v:.2f}")
    a1.axvline(1.1, color="red", linestyle="--", linewidth=1)
    bars(a2, names, [m["polls_per_job"] for m in meds], "status polls per job (lower is better)", lambda v: f"{v:.2f}")
    save(fig, "w3.png", "W3: create-and-wait batches")

    cl = w["W4"]["clients"]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bars(ax, list(cl), [d["median"]["import_ms"] for d in cl.values()], "ms (lower is better)", lambda v: f"{v:.1f}")
    save(fig, "w4.png", "W4: cold import / require")

    cl = w["W5"]["clients"]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    bars(ax, list(cl), [d["median"]["rss_peak_mib"] for d in cl.values()], "peak RSS MiB (lower is better)",
         lambda v: f"{v:.0f}")
    ax.axvline(150, color="red", linestyle="--", linewidth=1)
    save(fig, "w5.png", f"W5: {w['W5']['settings']['jobs']} concurrent create-and-wait")
    return written


def update_doc(doc: Path, body: str, begin: str = BEGIN, end: str = END) -> None:
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{doc} has no {begin} … {end} block")
    text = pattern.sub(lambda _: f"{begin}\n<!-- generated by bench/report.py from bench/results/latest.json: "
                       f"do not edit by hand -->\n\n{body}\n{end}", text)
    doc.write_text(text, encoding="utf-8")


def targets_summary(res: Dict[str, Any]) -> str:
    """The targets table with the run it comes from, for the README."""
    s = res["settings"]
    met = sum(1 for t in res["targets"] if t["met"])
    lines = [f"Latest run: mode **{res['mode']}** ({s['reps']} runs per client), {res['date']}, "
             f"commit `{res['git']['commit'][:10]}`, {res['machine']['nproc']} cores. "
             f"{met} of {len(res['targets'])} targets met; what limits the others: "
             "[docs/PERFORMANCE.md](docs/PERFORMANCE.md#what-limits-each-number).", ""]
    lines += table(["target", "measured", "goal", "met"],
                   [[t["target"], fmt_measured(t), fmt_goal(t), "✅ yes" if t["met"] else "❌ no"]
                    for t in res["targets"]])
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path, help="the directory holding latest.json")
    ap.add_argument("--doc", type=Path, help="a Markdown file whose bench:begin/end block gets the tables")
    ap.add_argument("--readme", type=Path, help="a Markdown file whose bench-targets:begin/end block gets the "
                    "targets table")
    ap.add_argument("--baseline", type=Path, default=Path(__file__).resolve().parent / "results" / "baseline.json",
                    help="an earlier run (bench/baseline.sh) to compare the SDK's figures with")
    args = ap.parse_args()
    res = json.loads((args.dir / "latest.json").read_text(encoding="utf-8"))
    base = json.loads(args.baseline.read_text(encoding="utf-8")) if args.baseline.exists() else None
    (args.dir / "latest.md").write_text("# Benchmark results\n\nGenerated by `bench/report.py` from `latest.json` "
                                        "(see docs/PERFORMANCE.md for the method).\n\n"
                                        + markdown(res, "", base), encoding="utf-8")
    charts(res, args.dir)
    if args.doc:
        rel = Path("..") / args.dir.resolve().relative_to(args.doc.resolve().parent.parent)
        update_doc(args.doc, markdown(res, f"{rel.as_posix()}/", base))
    if args.readme:
        update_doc(args.readme, targets_summary(res), TARGETS_BEGIN, TARGETS_END)
    print(f"wrote {args.dir / 'latest.md'} and the charts", flush=True)


if __name__ == "__main__":
    main()
