"""Felt time: how long a visitor waits, in a real browser, for what the Find and clinic pages show.

Issue 13, item 11. For each app tree given (``--tree``, default this repository; e.g. ``--tree /tmp/before
--tree .``), the script starts that tree's ``dashboard.py`` (``streamlit run``, cwd = the tree, so its own
``.streamlit/config.toml``; its ``.venv`` Python if it has one) on a free loopback port and measures, in
Debian's chromium driven by Playwright:

  cold       a server that has just answered its health check (no script run yet: imports, data loading and
             scoring all happen in this first session); a new browser context opens ``/``. Time from the
             navigation's start (the page's ``performance.timeOrigin``) until the map AND the results are
             drawn: the map is ``stPlotlyChart`` with its ``svg.main-svg`` laid out (width > 0) and markers,
             land or a map canvas in it; the results are the results table (``stDataFrame`` with its grid
             canvas laid out) or, on a Find page that lists clinics as links, a visible
             ``a[href*="clinic?clinic="]`` in the main area.
  warm-new   the same, on the same server after the cold visit: a brand-new browser context (empty HTTP
             cache, no service worker, no cookies, so every JS chunk is fetched again).
  warm-reload  the warm-new tab reloaded (``page.reload``): the JS chunks come from the browser's cache.
  open-from-find  on ``/?near=PLACE`` (settled), the click that opens the first result (a link to
             ``/clinic?clinic=ID`` in the main area when the page offers one, else the row-selection cell of
             the results table's first row) until the clinic page's "How it scored" heading is visible.
             Clocked with epoch milliseconds (``timeOrigin + now``) so that it holds across a full page load.
  open-direct  the same warm context opens ``/clinic?clinic=ID`` (ID: the clinic just opened) as a new
             document: navigation start until "How it scored" is visible.
  filter     on ``/?near=PLACE`` (settled), a click on the "Accepts insurance" toggle (found by its label;
             a closed expander or popover holding it is opened first, outside the timing) until the end of
             the rerun: the server's script_finished (not FINISHED_EARLY_FOR_RERUN) arrived after the
             click, the app's ``data-test-script-state`` is notRunning, no ``[data-stale="true"]`` element
             and no "Running..." icon remain, and that stays so for 0.8 s (an st.rerun would start another
             run). Measured twice per repetition (on, then off).

Every time is taken by a watcher installed in the page before the app's scripts (an init script polling on
each animation frame and every 20 ms), on the page's own clock, so neither Playwright's round trips nor the
harness's polling are in the figures. Repetitions alternate the trees (A B, B A, A B, ...) so that they share
the machine's noise; each repetition of a tree gets a freshly started server. Medians and bests are
reported; the machine's load average is recorded before each repetition (other work on a 2-core machine
moves absolute times by tens of percent: compare the trees of one run, not runs).

Also recorded per page load, as evidence for where the time goes: navigation timing (TTFB, DOMContentLoaded),
the websocket's open and first message, the first script run's new_session -> script_finished on the wire
(the server's run time plus transport), when the plotly and dataframe elements arrived and how big they were
(ForwardMsg -> Delta -> Element field read in the page), and the resource timing of the big JS chunks
(PlotlyChart, DataFrame) and of the map's topojson.

    .venv/bin/python benchmarks/felt_time.py                             # this tree, 5 repetitions
    .venv/bin/python benchmarks/felt_time.py --tree /tmp/before --tree . --reps 5 \\
        --md /tmp/felt.md --json /tmp/felt.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as `python benchmarks/felt_time.py`: testkit is at the repo root
    sys.path.insert(0, str(REPO_ROOT))

from testkit.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, leaves_machine, settle  # noqa: E402
from testkit.server import free_port, stop_app, wait_healthy  # noqa: E402

DEFAULT_DATA = REPO_ROOT / "data" / "clinics.csv"
DEFAULT_JSON = REPO_ROOT / ".benchmarks" / "felt_time.json"
DEFAULT_MD = REPO_ROOT / ".benchmarks" / "felt_time.md"
PLACE = "80903"  # Colorado Springs: the place of the browser tests
FILTER_LABEL = "Accepts insurance"
HEADING = "How it scored"
SETTLE_MS = 800  # the end of a run must hold this long (a second run, e.g. st.rerun, resets it)
TIMEOUT_MS = 90_000

# measure -> (what it is, target in seconds or None)
MEASURES: dict[str, tuple[str, float | None]] = {
    "cold": ("First map + results, cold server (new context, navigation start -> both drawn)", 3.0),
    "warm_new": ("First map + results, warm server, new browser context (empty cache)", 1.5),
    "warm_reload": ("First map + results, warm server, same context reloaded (cached JS)", 1.5),
    "open_from_find": ("Open a clinic from Find's results (click -> \"How it scored\" visible)", 0.8),
    "open_direct": ("Open /clinic?clinic=ID in a warm context (navigation start -> \"How it scored\")", 0.8),
    "filter": ("Filter change: \"Accepts insurance\" click -> end of the rerun", 0.3),
}
# Evidence recorded per first load (medians shown under the main table).
DETAILS: dict[str, str] = {
    "ttfb": "HTML: time to first byte (navigation responseStart)",
    "dcl": "DOMContentLoaded",
    "ws_open": "websocket open",
    "first_msg": "first websocket message",
    "run_start": "first script run: new_session arrives",
    "run_end": "first script run: script_finished arrives",
    "server_run": "first script run on the wire (new_session -> script_finished)",
    "plotly_msg": "plotly element arrives",
    "plotly_kb": "plotly element size (kB, uncompressed protobuf)",
    "df_msg": "dataframe element arrives",
    "df_kb": "dataframe element size (kB, Arrow inside protobuf)",
    "ws_kb": "all websocket messages of the load (kB)",
    "plotly_js_end": "PlotlyChart JS chunk fetched (responseEnd)",
    "plotly_js_kb": "PlotlyChart JS chunk bytes on the wire (kB; 0 = from cache)",
    "js_kb": "all JS bytes on the wire (kB; 0 = from cache)",
    "topojson_end": "map outline (topojson) fetched",
    "longtask_ms": "main thread busy in tasks > 50 ms before both were drawn",
    "longest_task": "longest main-thread task before both were drawn",
    "map_at": "map drawn",
    "table_at": "results drawn",
}

# --- the in-page watcher ----------------------------------------------------------------------------------

# Installed before the app's scripts in every document. performance.now() is ms since this document's
# navigation start; epoch() is the same instant as Unix ms, comparable across documents and tabs.
INIT_SCRIPT = r"""(() => {
  if (window.__ft) return;
  const epoch = () => performance.timeOrigin + performance.now();
  const s = window.__ft = {click: null, clickEpoch: null, state: null, stateAt: null,
    wsOpen: null, firstMsg: null, msgs: [], wireDone: 0, wireEnd: null, runStarts: [], runEnds: [],
    mapAt: null, tableAt: null, headingAt: null, headingEpoch: null, armed: null, doneAt: null, longtasks: []};
  try {  // main-thread tasks over 50 ms (script evaluation, layout, drawing): where a starved page's time goes
    new PerformanceObserver(l => { for (const e of l.getEntries()) s.longtasks.push([e.startTime, e.duration]); })
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
  document.addEventListener('click', () => {
    s.click = performance.now(); s.clickEpoch = epoch();
    try { sessionStorage.setItem('__ftClickEpoch', String(s.clickEpoch)); } catch (e) {}
  }, true);
  // --- the websocket: ForwardMsg top-level fields, and for a delta the element kind --------------------
  const fields = (b, start, end) => {  // [[field, wire, value or [from, to]]] of one protobuf message
    const out = []; let i = start;
    const varint = () => {
      let r = 0, m = 1, x;
      do { x = b[i++]; r += (x & 127) * m; m *= 128; } while (x & 128);
      return r;
    };
    while (i < end) {
      const key = varint(), wire = key % 8, field = Math.floor(key / 8);
      if (wire === 0) out.push([field, 0, varint()]);
      else if (wire === 2) { const n = varint(); out.push([field, 2, [i, i + n]]); i += n; }
      else if (wire === 1) i += 8; else if (wire === 5) i += 4; else break;
    }
    return out;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { if (s.wsOpen === null) s.wsOpen = performance.now(); });
      this.addEventListener('message', ev => {
        if (!(ev.data instanceof ArrayBuffer)) return;
        const t = performance.now(), b = new Uint8Array(ev.data);
        if (s.firstMsg === null) s.firstMsg = t;
        let kind = null, element = null;
        try {
          for (const [f, w, v] of fields(b, 0, b.length)) {
            if (f === 4) { kind = 'new_session'; s.runStarts.push(t); }
            else if (f === 6) {
              kind = 'script_finished:' + v;
              if (v !== 2) { s.wireDone += 1; s.wireEnd = t; s.runEnds.push(t); }
            }
            else if (f === 5 && w === 2) {
              kind = 'delta';
              for (const [df, dw, dv] of fields(b, v[0], v[1]))
                if (df === 3 && dw === 2) { const el = fields(b, dv[0], dv[1]); if (el.length) element = el[0][0]; }
                else if (df === 6) element = 'block';
            } else if (kind === null && f !== 1 && f !== 2) kind = 'field' + f;
          }
        } catch (e) { kind = 'unparsed'; }
        s.msgs.push([t, b.length, kind, element]);
      });
    }
  };
  // --- what is drawn ----------------------------------------------------------------------------------
  const shown = el => {
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const mapDrawn = () => {
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      const svg = chart.querySelector('svg.main-svg');
      if (!svg || !(svg.getBoundingClientRect().width > 0)) continue;
      if (chart.querySelector('.point, .geo .layer path, .geo path, canvas')) return true;
    }
    return false;
  };
  const tableDrawn = () => {
    const main = document.querySelector('[data-testid="stMain"]') || document;
    for (const c of main.querySelectorAll('[data-testid="stDataFrame"] canvas[data-testid="data-grid-canvas"]'))
      if (shown(c)) return true;
    for (const a of main.querySelectorAll('a[href*="clinic?clinic="]')) if (shown(a)) return true;
    return false;
  };
  const headingShown = () => {
    for (const h of document.querySelectorAll('[data-testid="stHeading"], h1, h2, h3'))
      if (h.textContent.trim().startsWith('HEADING_TEXT') && shown(h)) return true;
    return false;
  };
  const idle = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-stale="true"]')
      && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
  };
  s.arm = () => { s.armed = {wireDone: s.wireDone, at: performance.now()}; s.doneAt = null; };
  const check = () => {
    const t = performance.now();
    if (s.mapAt === null && mapDrawn()) s.mapAt = t;
    if (s.tableAt === null && tableDrawn()) s.tableAt = t;
    if (s.headingAt === null && headingShown()) { s.headingAt = t; s.headingEpoch = epoch(); }
    if (s.armed) {
      if (s.wireDone > s.armed.wireDone && idle()) { if (s.doneAt === null) s.doneAt = t; }
      else s.doneAt = null;
    }
  };
  const frame = () => { check(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  setInterval(check, 20);  // rAF pauses when the renderer skips frames; this does not
})();""".replace("HEADING_TEXT", HEADING)

TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const res = performance.getEntriesByType('resource').map(r => ({name: r.name, start: r.startTime,
    end: r.responseEnd, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
    type: r.initiatorType}));
  const s = window.__ft;
  return {nav: {ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                transfer: nav.transferSize}, resources: res,
          marks: {wsOpen: s.wsOpen, firstMsg: s.firstMsg, mapAt: s.mapAt, tableAt: s.tableAt,
                  headingAt: s.headingAt, runStarts: s.runStarts, runEnds: s.runEnds, longtasks: s.longtasks},
          msgs: s.msgs};
}"""

# Element field numbers of streamlit/proto/Element.proto (1.67) that matter here.
PLOTLY, DATAFRAME = 16, 40

# --- servers ------------------------------------------------------------------------------------------


def tree_python(tree: Path) -> str:
    """The tree's own venv Python if it has one, else this repository's, else ours."""
    for candidate in (tree / ".venv" / "bin" / "python", REPO_ROOT / ".venv" / "bin" / "python"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def start_server(tree: Path, data: Path, log_path: Path) -> tuple[subprocess.Popen, str, float]:
    """`streamlit run dashboard.py` of ``tree`` (cwd = the tree: its config.toml applies), as testkit starts
    it; returns the process, base URL and the seconds until it answered its health check."""
    port = free_port()
    cmd = [tree_python(tree), "-m", "streamlit", "run", str(tree / "dashboard.py"),
           "--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CLINICS_CSV": str(data)}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=tree, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    RUNNING.add(proc)
    base_url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, base_url, log_path)
    return proc, base_url, time.perf_counter() - started


RUNNING: set[subprocess.Popen] = set()


def stop_server(proc: subprocess.Popen) -> None:
    RUNNING.discard(proc)
    stop_app(proc)


def watchdog(seconds: float) -> None:
    """Stop every server and exit if the whole run takes longer than ``seconds``."""
    def fire() -> None:
        time.sleep(seconds)
        print(f"felt_time: deadline of {seconds:.0f} s passed; stopping", file=sys.stderr, flush=True)
        for proc in list(RUNNING):
            stop_app(proc)
        os._exit(3)
    threading.Thread(target=fire, daemon=True).start()


# --- the browser ------------------------------------------------------------------------------------------


def new_context(browser, outside: list[str]):
    """A fresh context (its own empty cache) with the watcher; requests beyond this machine are recorded
    (not routed: Playwright's routing turns the HTTP cache off, which the reload measure needs)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INIT_SCRIPT)
    context.on("request", lambda req: outside.append(req.url) if leaves_machine(req.url) else None)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def wait_first_render(page) -> dict[str, Any]:
    """Until the map and the results are drawn; then the page's timings (see TIMING_JS)."""
    page.wait_for_function("() => window.__ft && window.__ft.mapAt !== null && window.__ft.tableAt !== null",
                           timeout=TIMEOUT_MS, polling=50)
    return page.evaluate(TIMING_JS)


def load_details(timing: dict[str, Any]) -> dict[str, float | None]:
    """The evidence of one page load, in ms from navigation start (sizes in kB)."""
    marks, msgs = timing["marks"], timing["msgs"]
    out: dict[str, float | None] = {"ttfb": timing["nav"].get("ttfb"), "dcl": timing["nav"].get("dcl"),
                                    "ws_open": marks["wsOpen"], "first_msg": marks["firstMsg"],
                                    "map_at": marks["mapAt"], "table_at": marks["tableAt"]}
    out["run_start"] = marks["runStarts"][0] if marks["runStarts"] else None
    out["run_end"] = marks["runEnds"][0] if marks["runEnds"] else None
    out["server_run"] = (out["run_end"] - out["run_start"]) if out["run_start"] is not None and out["run_end"] else None
    first_end = out["run_end"] or float("inf")
    plotly = [m for m in msgs if m[3] == PLOTLY and m[0] <= first_end]
    frames = [m for m in msgs if m[3] == DATAFRAME and m[0] <= first_end]
    out["plotly_msg"] = plotly[0][0] if plotly else None
    out["plotly_kb"] = sum(m[1] for m in plotly) / 1000 if plotly else None
    out["df_msg"] = frames[-1][0] if frames else None
    out["df_kb"] = max(m[1] for m in frames) / 1000 if frames else None
    out["ws_kb"] = sum(m[1] for m in msgs if m[0] <= first_end) / 1000
    js = [r for r in timing["resources"] if r["name"].split("?")[0].endswith(".js")]
    chunk = [r for r in js if "/PlotlyChart." in r["name"]]
    out["plotly_js_end"] = chunk[0]["end"] if chunk else None
    out["plotly_js_kb"] = chunk[0]["transfer"] / 1000 if chunk else None
    out["js_kb"] = sum(r["transfer"] for r in js) / 1000
    topo = [r for r in timing["resources"] if "topojson" in r["name"] or r["name"].endswith(".json")
            and "/app/static/" in r["name"]]
    out["topojson_end"] = topo[0]["end"] if topo else None
    drawn = max(marks["mapAt"], marks["tableAt"])
    tasks = [d for start, d in marks.get("longtasks", []) if start < drawn]
    out["longtask_ms"] = float(sum(tasks))
    out["longest_task"] = float(max(tasks, default=0))
    return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in out.items()}


def first_render_ms(timing: dict[str, Any]) -> float:
    return round(max(timing["marks"]["mapAt"], timing["marks"]["tableAt"]), 1)


def open_container_of(page, label: str) -> None:
    """Make the widget labelled ``label`` visible: unfold the closed expanders, then try the popovers (whose
    content lives outside the main area, in a layer of its own)."""

    def visible() -> bool:
        with contextlib.suppress(Exception):
            return any(el.is_visible() for el in page.get_by_text(label, exact=True).all())
        return False

    if visible():
        return
    for summary in page.locator('[data-testid="stExpander"] details:not([open]) > summary').all():
        with contextlib.suppress(Exception):
            summary.click(timeout=5_000)
        page.wait_for_timeout(300)
        if visible():
            return
    for button in page.locator('[data-testid="stPopover"] button').all():
        with contextlib.suppress(Exception):
            button.click(timeout=5_000)
        page.wait_for_timeout(400)
        if visible():
            return
        page.keyboard.press("Escape")
    raise RuntimeError(f"no visible widget labelled {label!r}, even with its expander or popover opened")


def timed_rerun(page, click, split: list | None = None) -> float:
    """Arm the watcher, ``click()``, and return ms from the click to the end of the run it caused; ``split``
    gets the time's parts (queue, server, browser) as the wire saw them."""
    page.evaluate("() => window.__ft.arm()")
    click()
    page.wait_for_function(f"() => {{ const s = window.__ft; return s.doneAt !== null && "
                           f"performance.now() - s.doneAt > {SETTLE_MS}; }}", timeout=TIMEOUT_MS, polling=50)
    s = page.evaluate("() => ({click: window.__ft.click, done: window.__ft.doneAt, starts: window.__ft.runStarts, "
                      "ends: window.__ft.runEnds})")
    if split is not None:  # click -> run starts (queue), -> its last script_finished (server), -> drawn (browser)
        starts = [t for t in s["starts"] if t >= s["click"]]
        ends = [t for t in s["ends"] if t >= s["click"]]
        if starts and ends:
            split.append({"queue": round(starts[0] - s["click"], 1), "server": round(ends[-1] - starts[0], 1),
                          "browser": round(s["done"] - ends[-1], 1), "runs": len(starts)})
    return round(s["done"] - s["click"], 1)


def filter_change(page, split: list | None = None) -> float:
    """Click the filter's toggle (opened first if folded away); ms to the end of the rerun."""
    open_container_of(page, FILTER_LABEL)
    page.wait_for_timeout(300)  # an expander's animation is not part of the figure
    toggle = page.locator('[data-testid="stCheckbox"]').filter(has_text=FILTER_LABEL).locator("label")
    toggle = next((t for t in toggle.all() if t.is_visible()), toggle.first)
    return timed_rerun(page, lambda: toggle.click(), split)


def open_first_result(context, page) -> tuple[float, str, str]:
    """Open the first result of the settled Find page; (ms click -> heading visible, how, clinic id)."""
    link = page.locator('[data-testid="stMain"] a[href*="clinic?clinic="]').first
    if link.count() and link.is_visible():
        how = "link"
        pages_before = len(context.pages)
        link.click()
        target = None
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while target is None and time.monotonic() < deadline:  # the same tab (in-app or a new document) or a new one
            if len(context.pages) > pages_before:
                target = context.pages[-1]
                how = "link (new tab)"
            else:
                with contextlib.suppress(Exception):  # a document being replaced has no context to evaluate in
                    if page.evaluate("() => !!window.__ft && window.__ft.headingEpoch !== null"):
                        target = page
            if target is None:
                time.sleep(0.05)
        if target is None:
            raise TimeoutError("the clinic page did not show its heading after the result's link was clicked")
    else:
        how = "table row"
        canvas = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"] '
                              'canvas[data-testid="data-grid-canvas"]').first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        # The row-selection column is the grid's first, ~30 px; the header row is ~35 px, then rows of 35 px.
        page.mouse.move(box["x"] + 14, box["y"] + 52)
        page.wait_for_timeout(200)
        page.mouse.click(box["x"] + 14, box["y"] + 52)
        target = page
    target.wait_for_function("() => window.__ft && window.__ft.headingEpoch !== null", timeout=TIMEOUT_MS,
                             polling=50)
    heading = target.evaluate("() => window.__ft.headingEpoch")
    click = page.evaluate("() => Number(sessionStorage.getItem('__ftClickEpoch'))")
    clinic = target.evaluate("() => new URLSearchParams(location.search).get('clinic')") or ""
    if target is not page:
        target.close()
    return round(heading - click, 1), how, clinic


def one_repetition(browser, tree: Path, data: Path, place: str, log_dir: Path, rep: int) -> dict[str, Any]:
    """Every measure once on a freshly started server of ``tree``."""
    out: dict[str, Any] = {"tree": str(tree), "rep": rep, "loadavg": [round(x, 2) for x in os.getloadavg()],
                           "values": {}, "details": {}, "notes": [], "outside": []}
    log = log_dir / f"{tree.name or 'tree'}-{rep}.log"
    proc, base, start_s = start_server(tree, data, log)
    out["server_start_s"] = round(start_s, 2)
    contexts = []
    try:
        measure_all(browser, base, place, out, contexts)
    except Exception as exc:  # what was measured before the failure is kept
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        for c in contexts:
            with contextlib.suppress(Exception):
                c.close()
        stop_server(proc)
    text = log.read_text(encoding="utf-8", errors="replace")
    out["server_log_errors"] = [ln for ln in text.splitlines() if "Traceback" in ln or "Error" in ln][:10]
    return out


def measure_all(browser, base: str, place: str, out: dict[str, Any], contexts: list) -> None:
    """The measures of one repetition, in order, on the server at ``base``; results go into ``out``."""
    # (a) cold
    ctx, page = new_context(browser, out["outside"])
    contexts.append(ctx)
    page.goto(base + "/", wait_until="commit")
    timing = wait_first_render(page)
    out["values"]["cold"] = [first_render_ms(timing)]
    out["details"]["cold"] = load_details(timing)
    settle(page)
    ctx.close()
    # (b) warm, new context; (c) the same tab reloaded
    ctx, page = new_context(browser, out["outside"])
    contexts.append(ctx)
    page.goto(base + "/", wait_until="commit")
    timing = wait_first_render(page)
    out["values"]["warm_new"] = [first_render_ms(timing)]
    out["details"]["warm_new"] = load_details(timing)
    settle(page)
    page.reload(wait_until="commit")
    timing = wait_first_render(page)
    out["values"]["warm_reload"] = [first_render_ms(timing)]
    out["details"]["warm_reload"] = load_details(timing)
    settle(page)
    # (d) open a clinic from Find, then directly
    page.goto(f"{base}/?near={place}", wait_until="commit")
    settle(page)
    page.wait_for_function("() => window.__ft.tableAt !== null", timeout=TIMEOUT_MS)
    ms, how, clinic = open_first_result(ctx, page)
    out["values"]["open_from_find"] = [ms]
    out["notes"].append(f"opened {clinic or '?'} via the {how}")
    if clinic:
        settle(page)
        page.goto(f"{base}/clinic?clinic={clinic}", wait_until="commit")
        page.wait_for_function("() => window.__ft.headingAt !== null", timeout=TIMEOUT_MS, polling=50)
        out["values"]["open_direct"] = [round(page.evaluate("() => window.__ft.headingAt"), 1)]
    # (e) a filter change, on and off
    page.goto(f"{base}/?near={place}", wait_until="commit")
    settle(page)
    out["filter_split"] = []
    out["values"]["filter"] = [filter_change(page, out["filter_split"])]
    out["values"]["filter"].append(filter_change(page, out["filter_split"]))


# --- summary ----------------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def fmt_s(ms: float | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.2f} s"


def summarize(reps: list[dict[str, Any]], trees: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for tree in trees:
        mine = [r for r in reps if r["tree"] == tree and "values" in r]
        values = {m: [v for r in mine for v in r["values"].get(m, [])] for m in MEASURES}
        details = {}
        for kind in ("cold", "warm_new", "warm_reload"):
            rows = [r["details"][kind] for r in mine if kind in r.get("details", {})]
            details[kind] = {k: (statistics.median(v) if (v := [row[k] for row in rows if row.get(k) is not None])
                                 else None) for k in DETAILS}
        summary[tree] = {
            "median_ms": {m: statistics.median(v) if v else None for m, v in values.items()},
            "best_ms": {m: min(v) if v else None for m, v in values.items()},
            "n": {m: len(v) for m, v in values.items()},
            "details_median": details,
            "server_start_s": statistics.median([r["server_start_s"] for r in mine]) if mine else None,
            "filter_split_median": {k: statistics.median(v) if (v := [x[k] for r in mine
                                                                       for x in r.get("filter_split", [])]) else None
                                    for k in ("queue", "server", "browser", "runs")},
        }
    return summary


def markdown(summary: dict[str, Any], trees: list[str], meta: dict[str, Any], reps: list[dict[str, Any]]) -> str:
    names = [Path(t).name or t for t in trees]
    lines = [f"Machine: {meta['machine']}; run {meta['when']}; data {meta['data']}; place {meta['place']}; "
             f"{meta['reps']} repetitions per tree, alternating.", ""]
    head = "| measure | " + " | ".join(f"{n}: median (best)" for n in names) + " | target |"
    lines += [head, "|---|" + "---:|" * len(trees) + "---:|"]
    for m, (what, target) in MEASURES.items():
        cells = []
        for t in trees:
            med, best, n = (summary[t]["median_ms"][m], summary[t]["best_ms"][m], summary[t]["n"][m])
            ok = "" if med is None or target is None else (" ✓" if med <= target * 1000 else " ✗")
            cells.append(f"{fmt_s(med)} ({fmt_s(best)}){ok} n={n}")
        lines.append(f"| {what} | " + " | ".join(cells) + f" | ≤ {target:g} s |")
    lines += ["", "Where the first loads' time goes (medians, ms from navigation start; sizes in kB):", ""]
    for t, name in zip(trees, names, strict=True):
        d = summary[t]["details_median"]
        fs = summary[t]["filter_split_median"]
        lines += [f"**{name}** (server up in {summary[t]['server_start_s']} s median). Filter change, medians: "
                  f"click -> new_session {ms(fs['queue'])}, script run on the wire {ms(fs['server'])}, last "
                  f"script_finished -> drawn and idle {ms(fs['browser'])} ({fs['runs']} run(s)).", "",
                  "| | cold | warm, new context | warm, reloaded |", "|---|---:|---:|---:|"]
        for k, what in DETAILS.items():
            cells = ["–" if d[kind][k] is None else f"{d[kind][k]:,.0f}"
                     for kind in ("cold", "warm_new", "warm_reload")]
            lines.append(f"| {what} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Load average (1/5/15 min) before each repetition: " + "; ".join(
        f"{Path(r['tree']).name} #{r['rep']}: {', '.join(map(str, r['loadavg']))}" for r in reps))
    notes = sorted({f"{Path(r['tree']).name}: {n}" for r in reps for n in r.get("notes", []) if "via" in n})
    if notes:
        lines.append("How clinics were opened: " + "; ".join(sorted({n.split(' via ')[0].split(':')[0] + ': via '
                                                                    + n.split(' via ')[1] for n in notes})) + ".")
    errors = [f"{Path(r['tree']).name} #{r['rep']}: {r['error']}" for r in reps if r.get("error")]
    if errors:
        lines.append("Failed repetitions: " + "; ".join(errors))
    outside = sorted({u for r in reps for u in r.get("outside", [])})
    if outside:
        lines.append("Requests beyond this machine: " + ", ".join(outside[:5]))
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, action="append",
                        help="an app tree (a checkout holding dashboard.py); repeat to compare (default: this repo)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per tree (default: 5)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="clinics CSV served by every tree")
    parser.add_argument("--place", default=PLACE, help=f"the place of the Find page's measures (default {PLACE})")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"raw results (default {DEFAULT_JSON})")
    parser.add_argument("--md", type=Path, default=DEFAULT_MD, help=f"Markdown tables (default {DEFAULT_MD})")
    parser.add_argument("--deadline", type=float, default=1800, help="stop everything after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    args = parse_args(argv)
    trees = [str(t.resolve()) for t in (args.tree or [REPO_ROOT])]
    for t in trees:
        if not (Path(t) / "dashboard.py").exists():
            raise SystemExit(f"{t} has no dashboard.py")
    watchdog(args.deadline)
    log_dir = Path(os.environ.get("FELT_LOG_DIR", "/tmp/felt_time_logs"))
    meta = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S UTC"), "data": str(args.data),
            "place": args.place, "reps": args.reps, "trees": trees}
    reps: list[dict[str, Any]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for rep in range(args.reps):
                for tree in (trees if rep % 2 == 0 else list(reversed(trees))):
                    try:
                        result = one_repetition(browser, Path(tree), args.data.resolve(), args.place, log_dir, rep)
                    except Exception as exc:  # recorded; the other repetitions go on
                        result = {"tree": tree, "rep": rep, "loadavg": [round(x, 2) for x in os.getloadavg()],
                                  "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
                    reps.append(result)
                    print(f"rep {rep} {Path(tree).name}: " + json.dumps(result.get("values", {}))
                          + (f" ERROR {result['error']}" if result.get("error") else ""),
                          flush=True)
        finally:
            browser.close()
    summary = summarize(reps, trees)
    text = markdown(summary, trees, meta, reps)
    for path, body in ((args.md, text), (args.json, json.dumps({"meta": meta, "summary": summary, "reps": reps},
                                                                 indent=1))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    print(text)
    return 0 if all("error" not in r for r in reps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
