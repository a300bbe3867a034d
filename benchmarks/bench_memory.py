"""Peak memory of loading and scoring n clinics, each size in a fresh process (its own peak RSS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from common import TODAY, csv_path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import datetime as dt, json, sys
from vetting import load_clinics, score
result = load_clinics(sys.argv[1], today=dt.date.fromisoformat(sys.argv[2]))
scores = score(result.frame, today=dt.date.fromisoformat(sys.argv[2]))
clinics = result.frame.join(scores.summary.drop(columns="clinic_id"))
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over exec, so a child of a big parent (the
# benchmark process holds every size's frames) would report the parent's peak.
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"ok": result.ok, "rows": len(clinics), "peak_rss_mb": hwm_kb / 1024}))
"""


def peak(n: int) -> dict:
    """Load + score `n` clinics in a new interpreter; its peak resident memory in MB."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(csv_path(n)), TODAY.isoformat()], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_peak_memory(benchmark, n):
    """Whole process: interpreter, libraries, the file's text columns while typing, the typed frame, scores."""
    csv_path(n)  # generate outside the measurement
    benchmark.group = f"peak memory n={n}"
    result = benchmark.pedantic(peak, args=(n,), rounds=1, iterations=1)
    assert result["ok"] and result["rows"] == n
    benchmark.extra_info.update(n=n, impl="fast", peak_rss_mb=round(result["peak_rss_mb"], 1))
