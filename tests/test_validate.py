"""``fsql validate`` (fsql/checks/validate.py): every planted problem is reported at once with
the file:line of its definition, the good definitions are still compiled and parsed on every
dialect, and a clean repository gives exit 0 and a one-line summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fsql.checks import validate as validate_module
from fsql.checks.validate import validate
from fsql.cli import main
from fsql.errors import DefinitionError

ENTITIES = 'from fsql import Entity\n\nuser = Entity("user", join_keys=["user_id"])\n'
VIEWS = '''from entities import user

from fsql import Aggregate, FeatureView, Field, Source

risk_src = Source("risk", table="ds.risk", timestamp_field="ts")
risk = FeatureView("risk", entities=[user], source=risk_src, ttl="7d",
                   features=[Field("score", "float64"), Field("label", "string")])
events = Source("events", table="ds.events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "amount": "float64"})
activity = FeatureView("activity", entities=[user], source=events, features=[
    Aggregate("amount", "sum", window="1d"),
])
'''
SERVICES = '''from views import activity, risk

from fsql import Derived, FeatureService

good = FeatureService("good", features=[risk, activity])
derived = FeatureService("derived", features=[activity, Derived("share", "amount / amount_sum_1d")],
                         request_schema={"amount": "float64"})
'''
# Planted problems, each with the line its definition is on.
BROKEN = '''from entities import user

from fsql import FeatureView, Field, Source

src = Source("broken", table="ds.broken", timestamp_field="ts")
broken = FeatureView("broken", entities=[user], source=src, ttl="7x",
                     features=[Field("x", "float64")])
'''
ODD = '''from entities import user
from views import events

from fsql import Aggregate, Derived, FeatureView

odd = FeatureView("odd", entities=[user], source=events, features=[
    Aggregate("amount", "max", window="1d"),
    Derived("odd", "amount_max_1d + nope_col"),
])
'''
BAD_SERVICES = '''from views import risk

from fsql import Derived, FeatureService

typo = FeatureService("typo", features=["risk:scor"])
typed = FeatureService("typed", features=[risk, Derived("bad_sum", "score + label")])
'''
SYNTAX = "from fsql import Entity\n\nuser2 = Entity(\"user2\", join_keys=[\"user_id\"]\n"
DIALECTS = ("bigquery", "duckdb", "postgres", "snowflake")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own (never the user's ~/.cache)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("FSQL_CACHE_DIR", str(directory))
    return directory


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def good_repo(tmp_path: Path) -> Path:
    return write(tmp_path / "good", {"entities.py": ENTITIES, "views.py": VIEWS,
                                     "services.py": SERVICES})


@pytest.fixture
def bad_repo(good_repo: Path) -> Path:
    return write(good_repo, {"broken.py": BROKEN, "odd.py": ODD, "bad_services.py": BAD_SERVICES,
                             "syntax.py": SYNTAX})


def test_every_planted_problem_at_once(bad_repo: Path) -> None:
    report = validate(bad_repo)
    where = {p.where: p for p in report.problems}
    expected = {
        f"{bad_repo}/broken.py:6": "ttl: unknown unit 'x' in '7x'",
        f"{bad_repo}/odd.py:6": "reads ['nope_col']",
        f"{bad_repo}/bad_services.py:5": "has no feature 'scor'. Did you mean 'score'?",
        f"{bad_repo}/bad_services.py:6": "got string in score + label",
        f"{bad_repo}/syntax.py:3": "Python syntax error",
    }
    assert set(where) == set(expected), [p.format() for p in report.problems]
    for location, message in expected.items():
        assert message in where[location].message
    # A compile problem names the request and every dialect it hit, once.
    assert where[f"{bad_repo}/bad_services.py:5"].requests == ["service typo"]
    assert sorted(where[f"{bad_repo}/bad_services.py:6"].dialects) == list(DIALECTS)
    # It kept going: the good views and services were compiled and parsed on each dialect.
    assert report.statements == len(DIALECTS) * (2 + 2)  # views risk, activity; good, derived
    assert report.services == 4 and report.views == 2


def test_cli_lists_problems_one_per_line_and_exits_1(bad_repo: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(bad_repo), "--dialects", "duckdb,postgres"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 6  # five problems and the summary
    assert lines[-1].endswith("5 problem(s)") and "on duckdb, postgres" in lines[-1]
    assert any(line.startswith(f"{bad_repo}/bad_services.py:6: ") and
               "(in: service typed; duckdb, postgres)" in line for line in lines)


def test_clean_repository_exits_0_with_one_line(good_repo: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "fsql.cli", "validate", "--repo",
                           str(good_repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert "2 services and 2 views on bigquery, duckdb, postgres, snowflake: 16 statements " \
           "compiled and parsed, 0 problem(s)" in done.stdout


def test_golden_spine_settings_are_used(good_repo: Path) -> None:
    # A golden spine without its columns cannot compile on postgres: validate says so, once
    # per request, naming the setting to add.
    (good_repo / "fsql.toml").write_text('[golden]\nspine = "proj.ds.spine"\n')
    report = validate(good_repo, dialects=["duckdb", "postgres"])
    (problem,) = report.problems
    assert problem.where == f"{good_repo}/fsql.toml" and "add spine_columns" in problem.message
    assert problem.dialects == ["postgres"]
    assert problem.requests == ["view activity", "view risk", "service derived", "service good"]
    assert report.statements == 4  # everything compiled on duckdb


def test_bad_fsql_toml_is_a_problem(good_repo: Path) -> None:
    (good_repo / "fsql.toml").write_text("[project\n")
    report = validate(good_repo, dialects="duckdb")
    assert len(report.problems) == 1 and "cannot read it as TOML" in report.problems[0].message


def test_usage_mistakes_exit_2(good_repo: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["validate", "--repo", str(good_repo), "--dialects", "snowflak"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Did you mean 'snowflake'?" in err
    with pytest.raises(DefinitionError):
        validate(good_repo, dialects="mysql")


def test_jobs_give_the_same_report(bad_repo: Path) -> None:
    one = validate(bad_repo, dialects="duckdb,bigquery")
    two = validate(bad_repo, dialects="duckdb,bigquery", jobs=2)
    assert [p.format() for p in one.problems] == [p.format() for p in two.problems]
    assert one.summary() == two.summary()


def test_a_view_named_like_a_service_is_compiled_as_the_view(good_repo: Path) -> None:
    with (good_repo / "services.py").open("a") as handle:
        handle.write('risk_service = FeatureService("risk", features=[risk, Derived("bad", '
                     '"score + label")])\n')
    report = validate(good_repo, dialects="duckdb")
    (problem,) = report.problems
    assert problem.requests == ["service risk"]  # not "view risk": the view alone is fine
    assert report.statements == 4


def test_sql_that_does_not_parse_back_and_fsql_bugs_are_reported(
        good_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "render_plan", lambda plan, dialect: "SELECT (1 +\n")
    report = validate(good_repo, dialects="duckdb", cache=False)
    assert len(report.problems) == 4  # one per request, at its definition
    assert all("does not parse back as duckdb" in p.message for p in report.problems)
    assert {p.where for p in report.problems} == {
        f"{good_repo}/views.py:6", f"{good_repo}/views.py:10", f"{good_repo}/services.py:5",
        f"{good_repo}/services.py:6"}

    def broken(plan: object, dialect: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(validate_module, "render_plan", broken)
    report = validate(good_repo, dialects="duckdb")
    assert len(report.problems) == 4 and report.statements == 0
    assert all("RuntimeError: boom" in p.message and "bug in fsql" in p.message
               for p in report.problems)


def test_cache_skips_only_what_parsed(good_repo: Path, cache_dir: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first = validate(good_repo, dialects="duckdb,bigquery")
    assert not first.problems and any(cache_dir.rglob("*"))
    calls: list[object] = []
    monkeypatch.setattr(validate_module, "render_plan",
                        lambda plan, dialect: calls.append(plan) or "SELECT 1")
    again = validate(good_repo, dialects="duckdb,bigquery")
    assert again.summary() == first.summary() and not calls  # every plan was known
    (good_repo / "views.py").write_text(VIEWS.replace('ttl="7d"', 'ttl="8d"'))
    validate(good_repo, dialects="duckdb,bigquery")
    assert len(calls) == 2 * 2  # view risk and service good, on two dialects
