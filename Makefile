# Ketamine-clinic directory: set-up, run and test.
#
#   make run     create .venv, install requirements.txt, serve the dashboard on data/clinics.csv
#   make test    create .venv, install requirements-dev.txt (+ Debian chromium when missing and root),
#                run ruff and the whole pytest suite, browser tests included
#   make lint    ruff check .
#   make bench   benchmarks: timings vs naive baselines, memory, app time, concurrent sessions (tables)
#   make sample  regenerate the fictional sample data (scripts/make_sample.py)
#   make clean   remove caches and test output (make distclean also removes .venv)
#
# Browsers are never downloaded (no `playwright install`): Playwright drives Debian's /usr/bin/chromium.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
PIP      := $(PY) -m pip --disable-pip-version-check --no-input
CHROMIUM := /usr/bin/chromium
PORT     ?= 8501

# Belt and braces: nothing here may fetch a browser build from the internet.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: help run test lint bench sample clean distclean chromium venv

help:
	@awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' $(firstword $(MAKEFILE_LIST))

# --- virtualenv and installs --------------------------------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV)

venv: $(PY)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

# requirements-dev.txt includes requirements.txt (-r), so it also satisfies the runtime stamp.
$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

# Debian's chromium for the Playwright tests. Installed only when missing and we are root; otherwise
# say so clearly: the browser tests then skip with the same reason (and fail under CI).
chromium:
	@if [ -x $(CHROMIUM) ]; then \
	  echo "chromium: using $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "chromium: $(CHROMIUM) is missing; installing Debian's chromium package"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends chromium </dev/null; \
	else \
	  echo "*** chromium: $(CHROMIUM) is missing and we are not root, so it cannot be installed here."; \
	  echo "*** Browser tests will be SKIPPED. To run them: sudo apt-get install --no-install-recommends chromium"; \
	fi

# --- targets ------------------------------------------------------------------------------------------

run: $(RUNTIME_STAMP)
	$(PY) -m streamlit run dashboard.py --server.port $(PORT)

# Lint and tests both run; the recipe fails if either failed, with pytest's status taking precedence.
test: $(DEV_STAMP) chromium
	@lint=0; $(PY) -m ruff check . || lint=$$?; \
	tests=0; $(PY) -m pytest $(PYTEST_ARGS) || tests=$$?; \
	if [ $$lint -ne 0 ]; then echo "*** ruff check failed (exit $$lint)"; fi; \
	if [ $$tests -ne 0 ]; then echo "*** pytest failed (exit $$tests)"; exit $$tests; fi; \
	exit $$lint

lint: $(DEV_STAMP)
	$(PY) -m ruff check .

# Benchmarks: library timings at 1k-1M clinics beside naive baselines, peak memory, the app's server time
# (AppTest), then 1/5/10 concurrent browser sessions; report.py prints the tables of docs/BENCHMARKS.md.
# BENCH_SIZES / BENCH_NAIVE_MAX narrow it (see benchmarks/common.py). Takes ~20 minutes on 2 cores.
BENCH_OUT := .benchmarks
bench: $(DEV_STAMP) chromium
	@mkdir -p $(BENCH_OUT)
	$(PY) -m pytest benchmarks/ --benchmark-only --benchmark-json=$(BENCH_OUT)/results.json \
	  --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)
	$(PY) benchmarks/load_sessions.py --data data/clinics.csv --json $(BENCH_OUT)/sessions-sample.json
	$(PY) benchmarks/load_sessions.py --data $(BENCH_OUT)/data/clinics-100000.csv \
	  --json $(BENCH_OUT)/sessions-100k.json
	$(PY) benchmarks/felt_time.py --reps 5 --json $(BENCH_OUT)/felt_time.json --md $(BENCH_OUT)/felt_time.md
	$(PY) benchmarks/report.py $(BENCH_OUT)/results.json $(BENCH_OUT)/sessions-sample.json \
	  $(BENCH_OUT)/sessions-100k.json | tee $(BENCH_OUT)/tables.md

sample: $(RUNTIME_STAMP)
	$(PY) scripts/make_sample.py

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis .benchmarks tests/screenshots test-results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
