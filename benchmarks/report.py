"""Turn pytest-benchmark's JSON into the Markdown tables of docs/BENCHMARKS.md, ratios and targets included.

    python benchmarks/report.py .benchmarks/results.json [SESSIONS.json ...]
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

OPERATIONS = {
    "load": "Load + validate the CSV",
    "score": "Score every clinic",
    "nearby": "Nearby: distance, 80 km radius, sort, top 50",
    "query": "Patient query: score, distance, filters, sort",
    "query_weights": "Same query, custom weights",
}
#: (operation, size, limit in seconds, wording) from the issue.
TIME_TARGETS = [("score", 1_000_000, 0.5, "score 1M clinics < 0.5 s"),
                ("nearby", 1_000_000, 0.1, "nearby query over 1M loaded clinics < 100 ms"),
                ("load", 100_000, 2.0, "load + validate 100k rows < 2 s")]
MEMORY_TARGET_MB, RATIO_TARGET, RATIO_AT = 1536, 20, 100_000
APP_TARGETS = {"sample": 0.2, "100k": 1.0}


def seconds(value: float) -> str:
    """A duration with a unit that keeps three significant figures."""
    if value >= 1:
        return f"{value:,.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:,.1f} ms"
    if value >= 1e-6:
        return f"{value * 1e6:,.0f} µs"
    return f"{value * 1e9:,.0f} ns"


def ratio_text(ratio: float) -> str:
    """A ratio, with a decimal below 100 so that 19.6x is not shown as 20x."""
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 else str(n)


def collect(results: dict) -> tuple[dict, dict, dict, dict]:
    """(library medians by op/n/impl, peak memory by n, app medians by measure/data, place lookups by query)."""
    lib: dict = defaultdict(dict)
    memory: dict = {}
    app: dict = defaultdict(dict)
    places: dict = {}
    for b in results["benchmarks"]:
        info, median = b.get("extra_info", {}), b["stats"]["median"]
        name = b["name"].split("[")[0].removeprefix("test_")
        if "query" in info:
            places[info["query"]] = (info["chars"], median)
        elif "peak_rss_mb" in info:
            memory[info["n"]] = info["peak_rss_mb"]
        elif "data" in info:
            app[name][info["data"]] = median
        elif "n" in info:
            lib[(name, info["n"])][info["impl"]] = median
    return lib, memory, app, places


def tables(results: dict, sessions: list[dict] | None = None) -> str:
    lib, memory, app, places = collect(results)
    sizes = sorted({n for _, n in lib})
    out = []
    m = results.get("machine_info", {})
    out.append(f"Machine: {m.get('cpu', {}).get('brand_raw', '?')}, {m.get('cpu', {}).get('count', '?')} cores, "
               f"Python {m.get('python_version', '?')}; run {results.get('datetime', '?')[:19]} UTC; "
               f"commit {results.get('commit_info', {}).get('id', '?')[:10]}.")
    out.append("\n### Library: median time, fast beside the naive baseline\n")
    out.append("| operation | clinics | fast | naive | naive ÷ fast |")
    out.append("|---|---:|---:|---:|---:|")
    for op, label in OPERATIONS.items():
        for n in sizes:
            cell = lib.get((op, n), {})
            if "fast" not in cell:
                continue
            naive = cell.get("naive")
            ratio = ratio_text(naive / cell["fast"]) if naive else "–"
            out.append(f"| {label} | {n:,} | {seconds(cell['fast'])} | {seconds(naive) if naive else 'not run'} | "
                       f"{ratio} |")
    out.append("\n### Growth of the fast path (median time)\n")
    out.append("| operation | " + " | ".join(size(n) for n in sizes) + " | time per 10x clinics |")
    out.append("|---|" + "---:|" * (len(sizes) + 1))
    for op, label in OPERATIONS.items():
        times = [lib.get((op, n), {}).get("fast") for n in sizes]
        known = [(n, t) for n, t in zip(sizes, times, strict=True) if t]
        growth = ""
        if len(known) >= 2:
            (n0, t0), (n1, t1) = known[0], known[-1]
            growth = f"x{(t1 / t0) ** (1 / math.log10(n1 / n0)):.1f}"
        out.append(f"| {label} | " + " | ".join(seconds(t) if t else "–" for t in times) + f" | {growth} |")
    if memory:
        out.append("\n### Peak memory: load + validate + score, whole process\n")
        out.append("| clinics | peak RSS |")
        out.append("|---:|---:|")
        out += [f"| {n:,} | {mb:,.0f} MB |" for n, mb in sorted(memory.items())]
    if app:
        out.append("\n### App server time (AppTest: the script run, no browser)\n")
        out.append("| measure | sample (320) | 100k |")
        out.append("|---|---:|---:|")
        for name, label in (("first_render", "first render, cold cache"), ("filter_change", "filter change")):
            row = app.get(name, {})
            out.append(f"| {label} | " + " | ".join(seconds(row[d]) if d in row else "–" for d in ("sample", "100k"))
                       + " |")
    if places:
        out.append("\n### A visitor's place lookup (benchmarks/bench_place.py)\n")
        out.append("| query | characters | median | ÷ ordinary |")
        out.append("|---|---:|---:|---:|")
        ordinary = places.get("ordinary", (0, None))[1]
        for query, (chars, t) in places.items():
            out.append(f"| {query} | {chars:,} | {seconds(t)} | {ratio_text(t / ordinary) if ordinary else '–'} |")
    for run in sessions or []:
        out.append(f"\n### Concurrent browser sessions: {Path(run['data']).name} (benchmarks/load_sessions.py)\n")
        out.append("| sessions | changes ok | latency median | p95 | max | server CPU per change | "
                   "all first renders | server RSS after first renders | at the end | peak |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in run["summary"]:
            def ms(value: float | None) -> str:
                return seconds(value / 1000) if value is not None else "–"

            changes = r["changes_measured"]
            per_change = r["server_cpu_changes_s"] / changes if changes else None
            rss_first = r["rss_after_first_render_kb"]
            out.append(f"| {r['sessions']} | {changes}/{changes + r['changes_failed']} | "
                       f"{ms(r['latency_median_ms'])} | {ms(r['latency_p95_ms'])} | {ms(r['latency_max_ms'])} | "
                       f"{seconds(per_change) if per_change else '–'} | {r['first_render_all_s']} s | "
                       f"{rss_first / 1024 if rss_first else 0:,.0f} MB | {r['rss_end_kb'] / 1024:,.0f} MB | "
                       f"{r['hwm_end_kb'] / 1024:,.0f} MB |")
    out.append("\n### Targets\n")
    out.append("| target | measured | holds |")
    out.append("|---|---:|:---:|")
    for op, n, limit, wording in TIME_TARGETS:
        t = lib.get((op, n), {}).get("fast")
        out.append(f"| {wording} | {seconds(t) if t else 'not run'} | {verdict(t < limit) if t else '–'} |")
    if 1_000_000 in memory:
        mb = memory[1_000_000]
        out.append(f"| peak memory for 1M clinics < 1.5 GB | {mb:,.0f} MB | {verdict(mb < MEMORY_TARGET_MB)} |")
    for op, label in OPERATIONS.items():
        cell = lib.get((op, RATIO_AT), {})
        if "fast" in cell and "naive" in cell:
            r = cell["naive"] / cell["fast"]
            out.append(f"| {label}: ≥ {RATIO_TARGET}x naive at 100k | {ratio_text(r)} | {verdict(r >= RATIO_TARGET)} |")
    for data, limit in APP_TARGETS.items():
        t = app.get("filter_change", {}).get(data)
        if t:
            out.append(f"| app filter change, {data} < {seconds(limit)} | {seconds(t)} | {verdict(t < limit)} |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    results = json.loads(Path(argv[1]).read_text())
    sessions = [json.loads(Path(a).read_text()) for a in argv[2:] if Path(a).exists()]
    sys.stdout.write(tables(results, sessions))


if __name__ == "__main__":
    main(sys.argv)
