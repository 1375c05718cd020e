"""Shared pytest options."""

from __future__ import annotations

import sys

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden/*/{dialect}.sql and expected.csv from fsql and the oracle",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the PostgreSQL test server if a test started one (tests/engines/postgres_engine.py;
    its ``atexit`` hook is the fallback)."""
    engine = sys.modules.get("tests.engines.postgres_engine")
    if engine is not None:
        engine.stop_server()
