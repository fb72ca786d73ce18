# Two commands on a fresh clone: `make serve` and `make test`. Each sets up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: serve test lint tools browser bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Serving needs only the package and its runtime dependencies.
$(VENV)/.serve-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# The package plus pyproject's `dev` dependency group; `--group` needs pip >= 25.1, which a
# .venv made before this rule may lack.
$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet 'pip>=25.1'
	$(PY) -m pip install --quiet -e . --group dev
	touch $@ $(VENV)/.serve-installed

serve: $(VENV)/.serve-installed
	$(VENV)/bin/fakerancher serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Programs the suite runs besides Python (README's tour and examples/curl_session.sh).
tools:
	@for tool in bash curl; do \
		command -v $$tool > /dev/null || { echo "make test needs $$tool on PATH (e.g. apt-get install $$tool)"; exit 1; }; \
	done

# The browser tests drive Debian's chromium through its chromedriver (nothing is downloaded at
# run time). Installed here when missing; CI runs as root with no stdin.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

browser:
	@if [ ! -x $(CHROMIUM) ] || [ ! -x $(CHROMEDRIVER) ]; then \
		echo "installing chromium and chromium-driver (apt-get)"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

# loadgroup: tests marked with one xdist_group share a worker (the install tests, one build).
test: lint tools browser
	$(PY) -m pytest -n 2 --dist loadgroup -q

# A report against the design's quality bar; BENCH_ARGS=--quick for a smoke run, --check to
# exit 1 when a budget is exceeded.
BENCH_ARGS ?=
bench: $(VENV)/.test-installed
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV)
