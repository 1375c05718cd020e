# Developer entry points. `make example` works on a fresh clone (needs python3 >= 3.11).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: example test lint conformance

example: $(VENV)/.installed-runtime
	$(BIN)/python examples/run_fraud.py

# The test command: installs the emulator (fakesnow, bqemulator) and dbt envs and the PostgreSQL and Redis binaries
# (the tests start and stop their own servers), warms the GoogleSQL engine cache, runs pytest.
test: $(VENV)/.installed-dev
	bash tests/engines/setup_fakesnow.sh
	bash tests/engines/setup_bqemulator.sh
	bash tests/engines/setup_dbt.sh
	bash tests/engines/setup_postgres.sh
	bash tests/engines/setup_redis.sh
	$(BIN)/python -m tests.engines.warm_zetasql
	$(BIN)/python -m pytest -q

conformance: $(VENV)/.installed-dev
	bash tests/engines/setup_fakesnow.sh
	bash tests/engines/setup_postgres.sh
	$(BIN)/python -m tests.conformance

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check fsql dialects tests examples bench golden
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes; the stamp files avoid a pip run on every make.
# The example needs only fsql's runtime dependencies; the tests and lint add the dev tools.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@
