"""Helpers shared by the browser tests (tests/) and the load benchmark (benchmarks/load_sessions.py).

- :mod:`testkit.server`: run the Streamlit app on a free loopback port, in its own process group.
- :mod:`testkit.browser`: Debian's chromium, waiting for a run, reading the page, staying on this machine.
- :mod:`testkit.sample`: the bundled sample (data/clinics.csv) and the checklist, as the browser tests use them.

Nothing here imports Playwright or pytest at import time: tests/conftest.py imports it in every test run.
"""
