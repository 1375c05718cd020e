# Developer entry points. `make example` works on a fresh clone (needs python3 >= 3.11).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: example test lint conformance

example: $(VENV)/.installed
	$(BIN)/python examples/run_fraud.py

# The test command: installs the emulator env, warms the GoogleSQL engine cache, runs pytest.
test: $(VENV)/.installed
	bash tests/engines/setup_fakesnow.sh
	$(BIN)/python -m tests.engines.warm_zetasql
	$(BIN)/python -m pytest -q

conformance: $(VENV)/.installed
	bash tests/engines/setup_fakesnow.sh
	$(BIN)/python -m tests.conformance

lint: $(VENV)/.installed
	$(BIN)/ruff check fsql dialects tests examples bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes; the stamp file avoids a pip run on every make.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@
