# Quickstart: `make demo` and `make test`; each installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench up down status clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The same script installs each service of render.yaml (headless OpenCV swap included).
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 sh scripts/install.sh $(BIN)/python -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/screanalytics demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# PYTHONPATH: the processes the tests start import this tree as a plain package, as a deployed install does. Through the
# editable install's finder alone, tests/orchestration/test_faults.py let a relaunch in during a retry on this machine
# (3 runs of 3); with it, 6 of 6 pass. The cause is not found yet.
test: lint
	sh scripts/install_browser.sh
	PYTHONPATH=$(CURDIR) $(BIN)/python -m pytest

# The unit tier: no episode is processed and no stack is started (under 30 s).
test-fast: install
	PYTHONPATH=$(CURDIR) $(BIN)/python -m pytest -m unit

bench: install
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/celery_overhead.py
	$(BIN)/python bench/api_latency.py
	$(BIN)/python bench/ui_render.py

up: install
	$(BIN)/screanalytics up

down:
	@if [ -x $(BIN)/screanalytics ]; then $(BIN)/screanalytics down; else echo "nothing was running"; fi

status:
	@if [ -x $(BIN)/screanalytics ]; then $(BIN)/screanalytics status; else echo "not running"; fi

clean:
	rm -rf $(VENV) data .dagster_home .stack bench/out
