"""Load test: several browser sessions using the "Find clinics" page at the same time.

For each session count (``--sessions 1,5,10``) the script starts a fresh Streamlit server on a free loopback
port (data file from ``--data``, passed to the app as $CLINICS_CSV), opens that many browser contexts on ``/``
at once, waits until every page has rendered, then has every session make ``--changes`` filter changes
concurrently (the red-flag / stale-record toggles and the "Sort by" selectbox, in turn) and times each one.

How the end of a rerun is detected: an init script in every page records, with the page's own clock
(``performance.now()``), the last click event, every change of the ``data-test-script-state`` attribute that
Streamlit puts on ``[data-testid="stApp"]`` ("running" while the script runs, "notRunning" once it finished),
and the server's new_session / script_finished messages on the app's websocket. A change is done when, after
its click, the server has sent script_finished, the attribute has gone from "notRunning" to something else
and back, and the "Running..." icon is gone. Its latency is the in-page time from the click that made the
change to that return to "notRunning": no polling from Python is in it, so it neither misses a short run nor
adds the harness's own delays. On a starved renderer React may draw both states in one go and the attribute
never changes: then, 2 s after script_finished with the page idle, the change counts as done at the message's
arrival (reported as "page never drew the run"). "queue" is the time from the click to new_session.

Recorded per session count: latency median / p95 / max, the time until all first renders were done, the
server's CPU time, and its memory (VmRSS and VmHWM from /proc, the server and any children) before any
session, after the first renders and at the end. Printed as a Markdown table and written to ``--json``.

Bounds: the server listens on 127.0.0.1 only and is always stopped (its whole process group); a request from
the browser to any other host is aborted and counted; the whole run stops by itself after ``--deadline``
seconds. The browser is Debian's /usr/bin/chromium driven by Playwright (no browser is ever downloaded).

    .venv/bin/python benchmarks/load_sessions.py --data /tmp/perf/c100000.csv --sessions 1,5,10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Route, WebSocketRoute, async_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as `python benchmarks/load_sessions.py`: testkit is at the repo root
    sys.path.insert(0, str(REPO_ROOT))

# The server launcher and the browser's settings are the browser tests' own (testkit): the same app, started
# the same way, in the same chromium. APP_IDLE / RUNNING_ICON are what testkit.browser.wait_for_app waits for;
# COUNT_LINE is the results' count line of pages/find.py (vetting.search.describe), bold above the map.
from testkit.browser import (  # noqa: E402
    APP_IDLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    COUNT_LINE,
    RUNNING_ICON,
    VIEWPORT,
    leaves_machine,
)
from testkit.server import start_app, stop_app, wait_healthy  # noqa: E402

DEFAULT_DATA = REPO_ROOT / "data" / "clinics.csv"
DEFAULT_JSON = REPO_ROOT / ".benchmarks" / "sessions.json"
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
SERVER_PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable

SAFETY_EXPANDER = "Safety and freshness"
RED_FLAGS = "Hide clinics with a red flag"
STALE = "Hide records not verified in the last 12 months"
SORT_LABEL = "Sort by"
SORT_CYCLE = ["Lowest price", "Best value (score per dollar)", "Best score"]  # starts at "Best score"

# Installed in every page before the app's own scripts. Two views of each script run, on the page's clock:
# - dom: the data-test-script-state attribute of stApp leaving "notRunning" and coming back (what is shown);
# - wire: the server's messages on Streamlit's websocket (protobuf ForwardMsg; only their top-level field
#   numbers are read): new_session (4) starts a run, script_finished (6) ends it, unless its status is 2
#   (FINISHED_EARLY_FOR_RERUN: another run follows at once).
# The wire view catches a run whose "running" state React never drew: on a starved renderer both messages
# can be applied in one render, and the attribute then never changes.
INIT_SCRIPT = """(() => {
  const s = window.__load = {lastClick: null, state: null, domDone: 0, domStart: null, domEnd: null,
                             wireDone: 0, wireStart: null, wireEnd: null};
  document.addEventListener('click', () => { s.lastClick = performance.now(); }, true);
  new MutationObserver(records => {
    const t = performance.now();
    for (const r of records) {
      const v = r.target.getAttribute('data-test-script-state');
      if (v === s.state) continue;
      if (v === 'notRunning' && s.state !== null && s.state !== 'initial') { s.domDone += 1; s.domEnd = t; }
      if (v !== 'notRunning' && (s.state === 'notRunning' || s.state === null)) s.domStart = t;
      s.state = v;
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  const topFields = buffer => {  // [field number, varint value or null] of a protobuf message's top level
    const b = new Uint8Array(buffer), out = [];
    let i = 0;
    const varint = () => {
      let r = 0, m = 1, x;
      do { x = b[i++]; r += (x & 127) * m; m *= 128; } while (x & 128);
      return r;
    };
    while (i < b.length) {
      const key = varint(), wire = key % 8, field = Math.floor(key / 8);
      if (wire === 0) out.push([field, varint()]);
      else if (wire === 2) { const n = varint(); i += n; out.push([field, null]); }
      else if (wire === 1) i += 8; else if (wire === 5) i += 4; else break;
    }
    return out;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ev => {
        if (!(ev.data instanceof ArrayBuffer)) return;
        const t = performance.now();
        for (const [field, value] of topFields(ev.data)) {
          if (field === 4) s.wireStart = t;
          if (field === 6 && value !== 2) { s.wireDone += 1; s.wireEnd = t; }
        }
      });
    }
  };
})();"""
# Done: the page drew the run's end; or the server finished it, the page is idle, and 2 s passed without the
# page drawing it (then the wire time is the end).
RUN_DONE_JS = """n => { const s = window.__load;
  if (!s || s.state !== 'notRunning') return false;
  if (s.domDone > n.domDone && s.wireDone > n.wireDone) return true;
  return s.wireDone > n.wireDone && performance.now() - s.wireEnd > 2000; }"""
MARKS_JS = "() => ({...window.__load})"

SERVER_LOG_PATTERN = re.compile(r"Traceback|Error|Exception|Warning|warn", re.IGNORECASE)
RUNNING_SERVERS: set[subprocess.Popen] = set()  # stopped by run_round's finally, or by the watchdog at the latest


# --- results ----------------------------------------------------------------------------------------------


@dataclass
class Change:
    """One filter change in one session, timed."""

    session: int
    action: str
    latency_ms: float | None = None  # click -> the page shows the script run finished (page clock)
    latency_wire_ms: float | None = None  # click -> the server's script_finished message arrived
    queue_ms: float | None = None  # click -> the server's new_session message (it began the run)
    dom_missed: bool = False  # the page never drew "running": latency_ms is the wire time
    harness_ms: float | None = None  # wall clock in this script, from before the click until it saw the end
    error: str | None = None


@dataclass
class Round:
    """Everything measured for one session count, on its own fresh server."""

    sessions: int
    first_render_s: float | None = None  # from opening all pages at once until the last one had rendered
    first_render_each_s: list[float] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    memory: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> {"rss_kb", "hwm_kb", ...}
    server_cpu_s: dict[str, float] = field(default_factory=dict)  # stage -> the server's user+system CPU time
    browser_cpu_s: dict[str, float] = field(default_factory=dict)  # stage -> the same for chromium + Playwright
    machine_cpu_s: dict[str, float] = field(default_factory=dict)  # stage -> all CPUs' busy time (/proc/stat)
    blocked: list[str] = field(default_factory=list)  # requests beyond this machine, aborted
    page_errors: list[str] = field(default_factory=list)  # uncaught JS errors and console errors
    exceptions_shown: int = 0  # Streamlit exception boxes on the pages at the end
    loadavg_before: tuple[float, ...] = ()  # the machine's 1/5/15-minute load before the round: other work?
    runs_seen: list[int] = field(default_factory=list)  # finished script runs per page (first render + changes)
    server_log: str = ""
    server_log_lines: list[str] = field(default_factory=list)  # suspicious lines of the server's output
    error: str | None = None
    completed: bool = False

    def latencies(self) -> list[float]:
        """The latencies of the changes that completed."""
        return [c.latency_ms for c in self.changes if c.latency_ms is not None]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100), linearly interpolated between the closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- the server -------------------------------------------------------------------------------------------


def start_server(data: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start the app (dashboard.py) on ``data`` with testkit's launcher; the watchdog knows it until it stops.

    Streamlit's default file watcher, as `make run` has it (the tests turn it off).
    """
    proc, base_url = start_app(REPO_ROOT / "dashboard.py", log_path, extra_env={"CLINICS_CSV": str(data)},
                               python=SERVER_PYTHON, file_watcher="auto")
    RUNNING_SERVERS.add(proc)
    return proc, base_url


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and its process group (testkit.server.stop_app)."""
    RUNNING_SERVERS.discard(proc)
    stop_app(proc)


def suspicious_lines(log_path: Path, limit: int = 40) -> list[str]:
    """Lines of the server's output that look like errors, warnings or tracebacks (at most ``limit``)."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if SERVER_LOG_PATTERN.search(line)][:limit]


# --- the server's memory and CPU, from /proc --------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc/<pid>/stat."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def status_kb(pid: int, key: str) -> int:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/<pid>/status; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB, summed over the server and its children."""
    pids = process_tree(pid)
    return {"rss_kb": sum(status_kb(p, "VmRSS") for p in pids), "hwm_kb": sum(status_kb(p, "VmHWM") for p in pids),
            "processes": len(pids)}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU time spent by every process on the machine so far (all CPUs, idle and iowait excluded)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # user..steal, less idle, iowait


def sample(pid: int, stage: str, result: Round) -> None:
    """Record the server's memory and CPU time at ``stage``, and the browser's CPU time (on the same CPUs)."""
    result.memory[stage] = memory(pid)
    server = process_tree(pid)
    result.server_cpu_s[stage] = round(cpu_seconds(server), 2)
    mine = [p for p in process_tree(os.getpid()) if p != os.getpid() and p not in server]  # Playwright, chromium
    result.browser_cpu_s[stage] = round(cpu_seconds(mine), 2)
    result.machine_cpu_s[stage] = round(machine_busy_seconds(), 2)


# --- the browser ------------------------------------------------------------------------------------------


async def new_session(browser: Browser, result: Round) -> tuple[BrowserContext, Page]:
    """A fresh context and tab that abort (and count) any request leaving 127.0.0.1, and log page errors."""
    context = await browser.new_context(viewport=VIEWPORT)

    async def on_request(route: Route) -> None:
        if leaves_machine(route.request.url):
            result.blocked.append(route.request.url)
            await route.abort()
        else:
            await route.continue_()

    async def on_websocket(ws: WebSocketRoute) -> None:
        result.blocked.append(ws.url)
        await ws.close()

    await context.route("**/*", on_request)
    await context.route_web_socket(leaves_machine, on_websocket)
    await context.add_init_script(INIT_SCRIPT)
    page = await context.new_page()
    page.on("pageerror", lambda exc: result.page_errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: result.page_errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return context, page


async def exception_text(page: Page) -> str:
    """The first line of each Streamlit exception box on the page, joined; '' when there is none."""
    boxes = await page.get_by_test_id("stException").all_inner_texts()
    return " | ".join(text.strip().splitlines()[0] for text in boxes if text.strip())


async def wait_rendered(page: Page, timeout_ms: float) -> None:
    """Until Streamlit is connected and idle (testkit's wait_for_app) and the results' count line shows.

    An exception shown by the app fails at once instead of waiting for a count line that will not come.
    """
    await page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    await page.wait_for_selector(RUNNING_ICON, state="detached", timeout=timeout_ms)
    count_line = page.get_by_text(COUNT_LINE).first
    error = page.get_by_test_id("stException").first
    await count_line.or_(error).first.wait_for(state="visible", timeout=timeout_ms)
    shown = await exception_text(page)
    if shown:
        raise RuntimeError(f"the page shows an exception: {shown}")


async def open_expander(page: Page, title: str, timeout_ms: float) -> None:
    """Unfold the expander titled ``title`` (a browser-side action: Streamlit does not rerun)."""
    expander = page.get_by_test_id("stExpander").filter(
        has=page.locator("summary").get_by_test_id("stMarkdownContainer").filter(has_text=title))
    details = expander.locator("details")
    await details.wait_for(state="attached", timeout=timeout_ms)
    if await details.get_attribute("open") is None:
        await expander.locator("summary").click(timeout=timeout_ms)
    for label in (RED_FLAGS, STALE):
        await page.get_by_role("switch", name=label, exact=True).wait_for(state="visible", timeout=timeout_ms)


def action_plan(count: int) -> list[str]:
    """The changes each session makes, in order: toggles and sort orders in turn, each a real change."""
    plan, sorts = [], iter(SORT_CYCLE * (count // len(SORT_CYCLE) + 1))
    toggles = [RED_FLAGS, STALE]
    for i in range(count):
        plan.append(f"toggle:{toggles[(i // 2) % 2]}" if i % 2 == 0 else f"sort:{next(sorts)}")
    return plan


async def perform(page: Page, action: str, timeout_ms: float) -> None:
    """Do one change: click a toggle's label, or open "Sort by" and click an option."""
    kind, label = action.split(":", 1)
    if kind == "toggle":
        await page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click(timeout=timeout_ms)
    else:
        await page.get_by_role("combobox", name=SORT_LABEL).click(timeout=timeout_ms)
        await page.get_by_role("option", name=label, exact=True).click(timeout=timeout_ms)


async def timed_change(page: Page, session: int, action: str, timeout_ms: float) -> Change:
    """Make one change and time it until the rerun it caused has finished (see the module's docstring)."""
    change = Change(session=session, action=action)
    before = await page.evaluate(MARKS_JS)
    started = time.perf_counter()
    try:
        await perform(page, action, timeout_ms)
        await page.wait_for_function(RUN_DONE_JS, arg=before, timeout=timeout_ms)
        await page.wait_for_selector(RUNNING_ICON, state="detached", timeout=timeout_ms)
    except Exception as exc:  # a timeout or a vanished element: recorded, the session goes on
        marks = await page.evaluate(MARKS_JS)
        change.error = (f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                        f"(runs finished before/after: wire {before['wireDone']}/{marks['wireDone']}, "
                        f"page {before['domDone']}/{marks['domDone']}; state {marks['state']})")
        return change
    change.harness_ms = round((time.perf_counter() - started) * 1000, 1)
    marks = await page.evaluate(MARKS_JS)
    click = marks["lastClick"]
    change.dom_missed = marks["domDone"] == before["domDone"]
    change.latency_wire_ms = round(marks["wireEnd"] - click, 1)
    change.latency_ms = change.latency_wire_ms if change.dom_missed else round(marks["domEnd"] - click, 1)
    if marks["wireStart"] is not None and marks["wireStart"] >= click:
        change.queue_ms = round(marks["wireStart"] - click, 1)
    shown = await exception_text(page)
    if shown:
        change.error = f"the page shows an exception: {shown}"
    return change


async def run_changes(page: Page, session: int, plan: list[str], timeout_ms: float, into: list[Change]) -> None:
    """One session's changes, one after the other (each waits for the previous rerun to finish), kept as made."""
    for action in plan:
        into.append(await timed_change(page, session, action, timeout_ms))


async def first_render(page: Page, base_url: str, timeout_ms: float, into: list[float]) -> None:
    """Open the home page and wait until it has rendered; keep the seconds it took."""
    started = time.perf_counter()
    await page.goto(base_url + "/", wait_until="domcontentloaded", timeout=timeout_ms)
    await wait_rendered(page, timeout_ms)
    into.append(round(time.perf_counter() - started, 2))


async def count_exceptions(page: Page) -> int:
    """Streamlit's red exception boxes on the page."""
    return await page.get_by_test_id("stException").count()


async def runs_finished(page: Page) -> int:
    """How many script runs the server finished for the page (one per change, plus the first render)."""
    await page.wait_for_timeout(1000)  # a second run that a change might cause comes quickly
    return await page.evaluate("() => window.__load.wireDone")


# --- one round --------------------------------------------------------------------------------------------


async def run_round(browser: Browser, args: argparse.Namespace, sessions: int, result: Round) -> None:
    """Start a server, open ``sessions`` pages at once, make the changes concurrently; fill ``result``."""
    log_path = Path(result.server_log)
    proc, base_url = start_server(args.data, log_path)
    contexts: list[BrowserContext] = []
    timeout_ms = args.timeout * 1000
    try:
        await asyncio.to_thread(wait_healthy, proc, base_url, log_path, args.timeout)
        result.loadavg_before = os.getloadavg()
        sample(proc.pid, "before", result)
        opened = [await new_session(browser, result) for _ in range(sessions)]
        contexts = [context for context, _ in opened]
        pages = [page for _, page in opened]

        started = time.perf_counter()
        await asyncio.gather(*(first_render(p, base_url, timeout_ms, result.first_render_each_s) for p in pages))
        result.first_render_s = round(time.perf_counter() - started, 2)
        sample(proc.pid, "after_first_render", result)

        await asyncio.gather(*(open_expander(p, SAFETY_EXPANDER, timeout_ms) for p in pages))
        plan = action_plan(args.changes)
        await asyncio.gather(*(run_changes(p, i, plan, timeout_ms, result.changes) for i, p in enumerate(pages)))
        sample(proc.pid, "end", result)
        result.exceptions_shown = sum(await asyncio.gather(*(count_exceptions(p) for p in pages)))
        result.runs_seen = list(await asyncio.gather(*(runs_finished(p) for p in pages)))
        result.completed = True
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):
                await context.close()
        if "end" not in result.memory and proc.poll() is None:
            sample(proc.pid, "end", result)
        stop_server(proc)
        result.server_log_lines = suspicious_lines(log_path)


async def run_all(args: argparse.Namespace, rounds: list[Round]) -> None:
    """Every session count in turn, each on its own server; rounds are appended as they start."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for sessions in args.sessions:
                log = args.json.with_name(f"{args.json.stem}-server-{sessions}.log")
                result = Round(sessions=sessions, server_log=str(log))
                rounds.append(result)
                try:
                    await run_round(browser, args, sessions, result)
                except Exception as exc:
                    result.error = f"{type(exc).__name__}: {exc}"
        finally:
            await browser.close()


# --- report -----------------------------------------------------------------------------------------------


def mb(kb: int | None) -> str:
    """kB as MB, one decimal; '-' when unknown."""
    return "-" if kb is None else f"{kb / 1024:.0f}"


def ms(value: float | None) -> str:
    """Milliseconds, rounded; '-' when unknown."""
    return "-" if value is None else f"{value:.0f}"


def summary(result: Round) -> dict[str, Any]:
    """The numbers of one round that go into the table and the JSON's summary."""
    lat = result.latencies()
    cpu, browser, machine = result.server_cpu_s, result.browser_cpu_s, result.machine_cpu_s
    during = {"end", "after_first_render"}
    return {
        "sessions": result.sessions,
        "changes_measured": len(lat),
        "changes_failed": sum(c.error is not None for c in result.changes),
        "latency_median_ms": statistics.median(lat) if lat else None,
        "latency_p95_ms": percentile(lat, 95),
        "latency_max_ms": max(lat) if lat else None,
        "queue_median_ms": statistics.median(q) if (q := [c.queue_ms for c in result.changes
                                                           if c.queue_ms is not None]) else None,
        "first_render_all_s": result.first_render_s,
        "rss_before_kb": result.memory.get("before", {}).get("rss_kb"),
        "rss_after_first_render_kb": result.memory.get("after_first_render", {}).get("rss_kb"),
        "rss_end_kb": result.memory.get("end", {}).get("rss_kb"),
        "hwm_end_kb": result.memory.get("end", {}).get("hwm_kb"),
        "server_cpu_changes_s": round(cpu["end"] - cpu["after_first_render"], 2) if during <= cpu.keys() else None,
        "browser_cpu_changes_s": round(browser["end"] - browser["after_first_render"], 2)
        if during <= browser.keys() else None,
        "other_cpu_changes_s": round(machine["end"] - machine["after_first_render"] - (cpu["end"] + browser["end"])
                                     + (cpu["after_first_render"] + browser["after_first_render"]), 2)
        if during <= machine.keys() else None,
        "blocked_requests": len(result.blocked),
        "page_errors": len(result.page_errors),
        "exceptions_shown": result.exceptions_shown,
        "page_missed_run": sum(c.dom_missed for c in result.changes),
        "extra_runs": sum(result.runs_seen) - len(result.runs_seen) - len(lat) if result.runs_seen else None,
        "error": result.error,
    }


def table(rounds: list[Round]) -> str:
    """The Markdown table printed at the end."""
    head = ("| sessions | changes ok/failed | median ms | p95 ms | max ms | queue median ms | all first renders s "
            "| RSS before MB | RSS after 1st render MB | RSS end MB | peak RSS MB | CPU s server/browser (changes) "
            "| blocked req | page errors | exceptions |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for result in rounds:
        s = summary(result)
        first = "-" if s["first_render_all_s"] is None else f"{s['first_render_all_s']:.1f}"
        cpu = "-" if s["server_cpu_changes_s"] is None else (
            f"{s['server_cpu_changes_s']:.1f} / {s['browser_cpu_changes_s']:.1f}")
        lines.append(
            f"| {s['sessions']} | {s['changes_measured']}/{s['changes_failed']} | {ms(s['latency_median_ms'])} "
            f"| {ms(s['latency_p95_ms'])} | {ms(s['latency_max_ms'])} | {ms(s['queue_median_ms'])} | {first} "
            f"| {mb(s['rss_before_kb'])} | {mb(s['rss_after_first_render_kb'])} | {mb(s['rss_end_kb'])} "
            f"| {mb(s['hwm_end_kb'])} | {cpu} | {s['blocked_requests']} | {s['page_errors']} "
            f"| {s['exceptions_shown']} |")
    return "\n".join(lines)


def git_commit() -> str:
    """The repository's HEAD, with "+dirty" when the tracked files differ from it ("" outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+dirty" if dirty else "")


def write_json(path: Path, args: argparse.Namespace, rounds: list[Round], stopped_by_deadline: bool) -> None:
    """Every measurement, with the run's settings and the summaries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "commit": git_commit(),
        "data": str(args.data),
        "sessions": args.sessions,
        "changes_per_session": args.changes,
        "plan": action_plan(args.changes),
        "deadline_s": args.deadline,
        "stopped_by_deadline": stopped_by_deadline,
        "cpus": os.cpu_count(),
        "summary": [summary(r) for r in rounds],
        "rounds": [asdict(r) for r in rounds],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def report_problems(rounds: list[Round]) -> None:
    """Print what went wrong or looked odd, after the table."""
    for result in rounds:
        other = summary(result)["other_cpu_changes_s"]
        notes = [f"load average before the round: {', '.join(f'{x:.2f}' for x in result.loadavg_before)}; "
                 f"CPU used by other processes while the changes ran: {'-' if other is None else f'{other:.1f} s'}"]
        if summary(result)["extra_runs"]:
            notes.append(f"script runs per page {result.runs_seen}: more than one per change (+1 first render)")
        if summary(result)["page_missed_run"]:
            notes.append(f"{summary(result)['page_missed_run']} change(s) whose run the page never drew as running "
                         "(timed by the server's script_finished message)")
        if result.error:
            notes.append(f"round error: {result.error}")
        notes += [f"change failed (session {c.session}, {c.action}): {c.error}" for c in result.changes if c.error]
        notes += [f"blocked: {url}" for url in sorted(set(result.blocked))]
        notes += sorted(set(result.page_errors))[:10]
        notes += [f"server log: {line}" for line in result.server_log_lines[:10]]
        print(f"\n{result.sessions} session(s):")
        print("\n".join(f"  - {note}" for note in notes))


# --- main -------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see --help)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="clinics CSV served (default: the sample)")
    parser.add_argument("--sessions", default="1,5,10",
                        help="comma-separated session counts, one round (and one fresh server) each (default: 1,5,10)")
    parser.add_argument("--changes", type=int, default=5, help="filter changes per session (default: 5)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help="where to write every measurement (default: .benchmarks/sessions.json); the server "
                             "logs go beside it as <name>-server-<sessions>.log")
    parser.add_argument("--deadline", type=float, default=600,
                        help="stop everything after this many seconds (default: 600)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds allowed for one wait: server start, one first render, one change (default: 300)")
    args = parser.parse_args(argv)
    args.sessions = [int(n) for n in args.sessions.split(",") if n.strip()]
    if not args.sessions or min(args.sessions) < 1 or args.changes < 1:
        parser.error("--sessions needs positive counts and --changes at least 1")
    args.data = args.data.resolve()
    if not args.data.is_file():
        parser.error(f"no data file {args.data}")
    if not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing (Debian's chromium package); no browser is downloaded")
    args.json = args.json if args.json.is_absolute() else (Path.cwd() / args.json)
    return args


def watchdog(seconds: float) -> None:
    """Last resort if cleanup hangs past the deadline: kill the servers still running, then exit."""

    def fire() -> None:
        for proc in list(RUNNING_SERVERS):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        print(f"load_sessions: hard deadline passed ({seconds:.0f} s); exiting", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def main(argv: list[str] | None = None) -> int:
    """Run every round within the deadline, print the table and write the JSON."""
    args = parse_args(argv)
    rounds: list[Round] = []
    stopped = False
    watchdog(args.deadline + 60)  # the servers run in their own process groups: run_round's finally stops them
    try:
        asyncio.run(asyncio.wait_for(run_all(args, rounds), timeout=args.deadline))
    except TimeoutError:
        stopped = True
        for result in rounds:
            if not result.completed and result.error is None:
                result.error = "stopped by the deadline"
        print(f"stopped by the deadline ({args.deadline:.0f} s); rounds so far are reported", file=sys.stderr)
    print(f"data: {args.data}; {args.changes} changes per session; {os.cpu_count()} CPUs; commit {git_commit()}\n")
    print(table(rounds))
    report_problems(rounds)
    write_json(args.json, args, rounds, stopped)
    print(f"\nwrote {args.json}")
    return 1 if stopped or any(r.error for r in rounds) else 0


if __name__ == "__main__":
    sys.exit(main())
