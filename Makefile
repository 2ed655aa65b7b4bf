# Quickstart: `make demo` and `make test`; each installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench up down status clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet -e '.[dev]'
	# insightface pulls in the GUI build of OpenCV; both share cv2/, so put the headless build back on top.
	if $(BIN)/python -m pip show --quiet opencv-python 2>/dev/null; then \
	  v=$$($(BIN)/python -m pip show opencv-python | sed -n 's/^Version: //p'); \
	  $(BIN)/python -m pip uninstall --quiet -y opencv-python; \
	  $(BIN)/python -m pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$$v"; \
	fi
	$(BIN)/python -c "import cv2, insightface, dagster_celery; print('installed: opencv', cv2.__version__)"
	touch $(STAMP)

demo: install
	$(BIN)/screanalytics demo

test: install
	sh scripts/install_browser.sh
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/celery_overhead.py
	$(BIN)/python bench/ui_render.py

up: install
	$(BIN)/screanalytics up

down:
	@if [ -x $(BIN)/screanalytics ]; then $(BIN)/screanalytics down; else echo "nothing was running"; fi

status:
	@if [ -x $(BIN)/screanalytics ]; then $(BIN)/screanalytics status; else echo "not running"; fi

clean:
	rm -rf $(VENV) data .dagster_home .stack bench/out
