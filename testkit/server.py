"""Run a Streamlit script on a free loopback port, in its own process group, and always stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_START_TIMEOUT_S = float(os.environ.get("APP_START_TIMEOUT", "60"))


class AppStartError(RuntimeError):
    """The app exited, or did not answer its health check in time; the message holds its log's tail."""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether Streamlit's health endpoint at ``url`` answers "ok"."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, lines: int = 200) -> str:
    """The last ``lines`` lines of a log file ("(no log)" when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def start_app(app_path: Path, log_path: Path, extra_args: tuple[str, ...] = (),
              extra_env: dict[str, str] | None = None, python: str = sys.executable,
              file_watcher: str = "none") -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app_path`` on a free 127.0.0.1 port, in its own process group (stop it with
    :func:`stop_app`), its output in ``log_path``; return the process and its base URL (no trailing slash).

    ``file_watcher``: Streamlit's server.fileWatcherType ("none": no reruns when a source file changes).
    """
    port = free_port()
    cmd = [
        python, "-m", "streamlit", "run", str(app_path),
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", file_watcher,
        *extra_args,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(proc: subprocess.Popen, base_url: str, log_path: Path,
                 timeout_s: float = APP_START_TIMEOUT_S) -> None:
    """Block until the app answers its health check; raise AppStartError if it exits or the time runs out."""
    health = f"{base_url}/_stcore/health"
    deadline = time.monotonic() + timeout_s
    while not healthy(health):
        if proc.poll() is not None:
            why = f"the app exited with status {proc.returncode} before it was up"
        elif time.monotonic() > deadline:
            why = f"the app did not answer {health} within {timeout_s:g} s"
        else:
            time.sleep(0.25)
            continue
        raise AppStartError(f"{why}.\n$ {' '.join(map(str, proc.args))}\n--- {log_path} ---\n{tail(log_path)}")


def stop_app(proc: subprocess.Popen) -> None:
    """End the app and anything it started (its process group, start_new_session=True): SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)
            return


@contextlib.contextmanager
def running_app(app_path: Path, log_path: Path, extra_args: tuple[str, ...] = (),
                extra_env: dict[str, str] | None = None, timeout_s: float = APP_START_TIMEOUT_S) -> Iterator[str]:
    """Run a Streamlit script on a free loopback port until the block ends; yield its base URL.

    Raises AppStartError (with the log's tail) when it does not come up within ``timeout_s``.
    """
    proc, base_url = start_app(app_path, log_path, extra_args, extra_env)
    try:
        wait_healthy(proc, base_url, log_path, timeout_s)
        yield base_url
    finally:
        stop_app(proc)
