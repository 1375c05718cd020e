"""Entry point of the local BigQuery API server, run by tests/engines/bqemulator_server.py in
``.venv-bqemulator`` (never imported by fsql's own environment).

bqemulator's engine runs ``INSTALL spatial`` at start, which downloads an extension; this
machine is offline and fsql uses no GEOGRAPHY, so that one step is skipped. Everything else is
the package's own ``bqemulator start``."""

import sys

from bqemulator.cli import main
from bqemulator.storage import engine


def _no_spatial(self: object) -> None:
    """GEOGRAPHY is unused by fsql; skip the extension download."""


engine.DuckDBEngine._load_spatial = _no_spatial  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
