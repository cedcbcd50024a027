# secpillar: `make demo` scans the built-in sandbox organization, `make test` runs the whole suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test files run on one worker process per CPU, at most 8 (pytest-xdist; a file stays on one worker, so its
# module fixtures - sandboxes, demo runs - are built once). PYTEST_WORKERS=0 runs them in-process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(8, len(os.sched_getaffinity(0))))" 2>/dev/null || echo 2)

.PHONY: demo test lint typecheck unit bench clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/secpillar demo --out secpillar-demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck chromium
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The HTML report's e2e test opens the report in headless Chromium (Debian's package; root here and in CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python bench/scan_scale.py

clean:
	rm -rf $(VENV) secpillar-demo .pytest_cache .mypy_cache .ruff_cache
