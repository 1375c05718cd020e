"""`fsql ls` and `fsql show` on the example repository: every definition listed with what a
reader needs, a feature's SQL per dialect (valid in that dialect), the services using it, and
one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from fsql.discovery import listing, show
from fsql.errors import DefinitionError
from fsql.repo import Repo
from tests.test_example import generated_example

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fraud"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return Repo.load(generated_example(tmp_path_factory.mktemp("example")))


def test_every_definition_is_listed(repo: Repo) -> None:
    assert [e["name"] for e in listing(repo, "entities")] == sorted(repo.entities)
    assert [v["name"] for v in listing(repo, "views")] == sorted(repo.views)
    assert [s["name"] for s in listing(repo, "services")] == sorted(repo.services)
    features = {f["name"] for f in listing(repo, "features")}
    expected = {f"{v.name}:{f.name}" for v in repo.views.values()
                for f in (*v.features, *v.derived)}
    assert features == expected


def test_a_view_row_says_what_it_is(repo: Repo) -> None:
    (row,) = [v for v in listing(repo, "views") if v["name"] == "user_risk"]
    view = repo.views["user_risk"]
    assert row["kind"] == "snapshot" and row["ttl"] == "7d"
    assert row["owner"] == view.owner and row["tags"] == view.tags
    assert row["source"] == view.source.name and row["location"] == view.location


def test_show_compiles_the_feature_for_every_dialect(repo: Repo) -> None:
    info = show(repo, "user_activity:txn_count_7d")
    assert info["services"] == ["fraud_detection"]
    assert info["dtype"] == "int64" and info["window"] == "7d"
    assert set(info["sql"]) == {"duckdb", "bigquery", "snowflake", "postgres"}
    for dialect, text in info["sql"].items():
        assert "txn_count_7d" in text
        sqlglot.parse_one(text, read=dialect)  # valid in its own dialect


def test_show_refuses_an_unknown_feature_with_a_suggestion(repo: Repo) -> None:
    with pytest.raises(DefinitionError, match="Did you mean 'txn_count_7d'"):
        show(repo, "user_activity:txn_count7d")
    with pytest.raises(DefinitionError, match="view:feature"):
        show(repo, "user_activity")


def test_the_cli_lists_as_json_and_fails_in_one_line() -> None:
    run = [sys.executable, "-m", "fsql.cli"]
    done = subprocess.run([*run, "ls", "features", "--repo", str(EXAMPLE), "--json"],
                          capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout)
    assert {"name": "user_risk:risk_score"}.items() <= next(
        r for r in rows if r["name"] == "user_risk:risk_score").items()
    bad = subprocess.run([*run, "show", "nope:x", "--repo", str(EXAMPLE)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "Unknown feature view 'nope'" in bad.stderr
