"""The README's main command: build a point-in-time correct fraud training set on DuckDB.

    python examples/run_fraud.py            # or: make example

1. generates the example data (examples/fraud/data/*.parquet) if it is missing;
2. runs ``fsql run --repo examples/fraud --features fraud_detection --spine
   examples/fraud/data/transactions.parquet --out examples/fraud/data/training_set.parquet``
   through the ``fsql`` command of this interpreter;
3. writes the DuckDB query of the request (what ``fsql compile`` prints) to
   examples/fraud/data/training_set.sql;
4. prints the first rows of the training set and fsql's summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent  # the fsql checkout; commands run from here
REPO = "examples/fraud"
SPINE = f"{REPO}/data/transactions.parquet"
OUT = f"{REPO}/data/training_set.parquet"
SQL_OUT = f"{REPO}/data/training_set.sql"
SERVICE = "fraud_detection"


def load_generator() -> ModuleType:
    """Import ``examples/fraud/generate_data.py`` (the example is not an installed package)."""
    path = ROOT / REPO / "generate_data.py"
    spec = importlib.util.spec_from_file_location("fraud_generate_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fsql_command() -> list[str]:
    """The ``fsql`` entry point installed next to this interpreter (else ``python -m``)."""
    script = Path(sys.executable).parent / "fsql"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fsql.cli"]


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the data if needed, build the training set, and show it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true",
                        help="rewrite the example data even if it exists")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("fsql") is None:
        print(f"fsql is not installed for {sys.executable}; run `make example` (it creates "
              ".venv and installs fsql), or `pip install -e .` first", file=sys.stderr)
        return 2

    generator = load_generator()
    data_dir = ROOT / REPO / "data"
    if args.regenerate or not all((data_dir / name).exists() for name in generator.FILES):
        print(f"Generating example data in {REPO}/data/ ...")
        for name, rows in generator.generate(data_dir).items():
            print(f"  {name:<24} {rows:>7} rows")

    request = ["run", "--repo", REPO, "--features", SERVICE, "--spine", SPINE, "--out", OUT]
    print(f"\n$ fsql {shlex.join(request)}")
    done = subprocess.run([*fsql_command(), *request], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.stdout.write(done.stdout)
        return done.returncode

    import pandas as pd

    from fsql import Repo

    sql = Repo.load(ROOT / REPO).compile(SERVICE, str(ROOT / SPINE), dialect="duckdb")
    (ROOT / SQL_OUT).write_text(sql)

    frame = pd.read_parquet(ROOT / OUT, dtype_backend="pyarrow")
    print(f"\nFirst rows of {OUT} (spine columns, then the {SERVICE} features):")
    with pd.option_context("display.width", 250, "display.max_columns", None,
                           "display.max_colwidth", 24):
        print(frame.head(10).to_string(index=False))
    print()
    sys.stdout.write(done.stdout)
    unknown = ~frame["user_id"].isin(pd.read_parquet(ROOT / REPO / "data" / "user_profile.parquet",
                                                     columns=["user_id"])["user_id"])
    print(f"\nfraud rate {frame['is_fraud'].mean():.2%}; {int(unknown.sum())} transactions of "
          "users without feature rows (their user features are NULL, chargebacks_90d its "
          "default 0)")
    cut = Repo.load(ROOT / REPO).services[SERVICE].cut
    print(f"cut: {cut} (declared by the service): each transaction sees only the user's "
          "earlier transactions, as when it is scored")
    print(f"DuckDB query: {SQL_OUT} ({len(sql.splitlines())} lines); "
          f"print it with: fsql compile --repo {REPO} --features {SERVICE} --spine {SPINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
