"""``fsql golden update|check`` (fsql/checks/golden.py): update then check is clean, a changed
definition gives a diff naming the file and the change, added and removed files are reported,
the text is deterministic, the local cache never hides a change, and user mistakes exit 2
with one line. The materialization scripts and dbt models equal what ``fsql materialize
--print`` and ``fsql dbt`` write."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fsql.checks import golden
from fsql.checks.outputs import Prepared
from fsql.checks.record import NAME as RECORD
from fsql.cli import main
from fsql.errors import CheckError, DefinitionError

ENTITIES = 'from fsql import Entity\n\nuser = Entity("user", join_keys=["user_id"])\n'
VIEWS = '''from entities import user

from fsql import Aggregate, FeatureView, Field, Source

risk_src = Source("risk", table="ds.risk", timestamp_field="ts", schema={"user_id": "int64"})
risk = FeatureView("risk", entities=[user], source=risk_src, ttl="7d",
                   features=[Field("score", "float64"), Field("level", "int64", default=0)])
events = Source("events", table="ds.events", timestamp_field="ts",
                schema={"user_id": "int64", "ts": "timestamp", "amount": "float64"})
activity = FeatureView("activity", entities=[user], source=events, features=[
    Aggregate("amount", "sum", window="1d"),
    Aggregate("*", "count", window="7d"),
])
'''
SERVICES = '''from views import activity, risk

from fsql import Derived, FeatureService

scoring = FeatureService("scoring", features=[risk, activity])
payments = FeatureService("payments", features=[
    activity, Derived("amount_share", "amount / amount_sum_1d")],
    request_schema={"amount": "float64"})
'''
CONFIG = '''[project]
name = "golden_checks"

[golden]
spine = "proj.ds.spine"
spine_columns = {user_id = "int64", event_timestamp = "timestamp"}

[golden.services.payments]
spine = "proj.ds.payments"
spine_columns = {user_id = "int64", event_timestamp = "timestamp", amount = "float64"}
'''
DIALECTS = ("bigquery", "duckdb", "postgres", "snowflake")
SCRIPT_DIALECTS = ("bigquery", "duckdb", "snowflake")  # materialize and dbt: not postgres
SERVICES_NAMES = ("payments", "scoring")
VIEW_NAMES = ("activity", "risk")


def expected_files(dialects: tuple[str, ...] = DIALECTS) -> list[str]:
    """Every golden file of the fixture repository for ``dialects``, sorted."""
    files = [f"{d}/training/{s}.sql" for d in dialects for s in SERVICES_NAMES]
    for d in (d for d in dialects if d in SCRIPT_DIALECTS):
        files += [f"{d}/materialize/{v}.sql" for v in VIEW_NAMES]
        files += [f"{d}/dbt/{v}_latest.sql" for v in VIEW_NAMES]
        files += [f"{d}/dbt/schema.yml", f"{d}/dbt/sources.yml"]
    return sorted(files)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own (never the user's ~/.cache)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("FSQL_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in (("fsql.toml", CONFIG), ("entities.py", ENTITIES), ("views.py", VIEWS),
                       ("services.py", SERVICES)):
        (root / name).write_text(text)
    return root


def files_under(out: Path) -> dict[str, bytes]:
    """The golden files under ``out`` (not the record, tested on its own below)."""
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != RECORD}


def compiled_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The golden files compiled from here on (appended to as they are rendered)."""
    done: list[str] = []
    render = golden._rendered

    def counting(prepared: Prepared, path: str) -> str:
        done.append(path)
        return render(prepared, path)
    monkeypatch.setattr(golden, "_rendered", counting)
    return done


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_update_then_check_is_clean(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    changes = golden.update(repo, out)
    expected = expected_files()
    assert list(changes.added) == expected
    assert sorted(files_under(out)) == expected
    text = (out / "bigquery/training/payments.sql").read_text()
    assert "`proj.ds.payments`" in text and "amount_share" in text
    assert "proj.ds.spine" not in text  # the per-service spine replaced the default
    again = golden.check(repo, out)
    assert again.clean and again.unchanged == len(expected) and not again.diffs
    assert golden.check(repo, out, cache=False).clean


def test_text_is_deterministic(repo: Path, tmp_path: Path, cache_dir: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    golden.update(repo, first, cache=False)
    golden.update(repo, second, cache=False)
    assert files_under(first) == files_under(second)
    assert golden.update(repo, first).clean  # nothing to write the second time
    # In another process (string hashing differs per process): the same bytes.
    code = ("import sys; from fsql.checks import golden; "
            "print(golden.update(sys.argv[1], sys.argv[2]).summary())")
    third = tmp_path / "c"
    subprocess.run([sys.executable, "-c", code, str(repo), str(third)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "123"}, capture_output=True)
    assert files_under(third) == files_under(first)


@pytest.mark.parametrize("cache", [True, False])
def test_changed_definition_fails_with_a_diff(repo: Path, tmp_path: Path, cache: bool,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    edit(repo / "views.py", 'Aggregate("*", "count", window="7d")',
         'Aggregate("*", "count", window="7d", name="events_7d")')
    changes = golden.check(repo, out, cache=cache)
    # Both services read the view; its script, its model and schema.yml (its definition hash)
    assert set(changes.changed) == {f"{d}/training/{s}.sql" for d in DIALECTS
                                    for s in SERVICES_NAMES} | {
        f"{d}/{f}" for d in SCRIPT_DIALECTS
        for f in ("materialize/activity.sql", "dbt/activity_latest.sql", "dbt/schema.yml")}
    diff = next(d for d in changes.diffs if "a/duckdb/training/scoring.sql" in d)
    assert "+++ b/duckdb/training/scoring.sql" in diff
    assert any(line.startswith("+") and "events_7d" in line for line in diff.splitlines())
    assert any(line.startswith("-") and "count_7d" in line for line in diff.splitlines())
    argv = ["golden", "check", "--repo", str(repo), "--out", str(out)]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    assert "--- a/duckdb/training/scoring.sql" in printed
    assert f"{len(changes.changed)} changed, 0 added, 0 removed" in printed
    assert "fsql golden update" in printed
    assert main(["golden", "update", "--repo", str(repo), "--out", str(out)]) == 0
    assert main(argv) == 0


def test_hand_edited_golden_file_is_reported_despite_the_cache(repo: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    target = out / "snowflake/training/scoring.sql"
    target.write_text(target.read_text().replace("SELECT", "SELECT DISTINCT", 1))
    changes = golden.check(repo, out)
    assert changes.changed == ("snowflake/training/scoring.sql",)
    assert any(line.startswith("-") and "SELECT DISTINCT" in line
               for line in changes.diffs[0].splitlines())


def test_added_and_removed_files(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out, dialects="duckdb,bigquery")
    with (repo / "services.py").open("a") as handle:
        handle.write('fraud = FeatureService("fraud", features=[risk])\n')
    edit(repo / "services.py", 'scoring = FeatureService("scoring", features=[risk, activity])',
         "")
    changes = golden.check(repo, out, dialects="duckdb,bigquery")
    assert changes.added == ("bigquery/training/fraud.sql", "duckdb/training/fraud.sql")
    assert changes.removed == ("bigquery/training/scoring.sql", "duckdb/training/scoring.sql")
    assert changes.changed == ()
    assert "--- /dev/null" in "".join(changes.diffs)
    assert "+++ /dev/null" in "".join(changes.diffs)
    # unchanged: payments, and each dialect's 2 scripts and 4 dbt files
    assert "0 changed, 2 added, 2 removed, 14 unchanged" in changes.summary()
    golden.update(repo, out, dialects="duckdb,bigquery")
    assert [p for p in files_under(out) if "/training/" in p] == [
        "bigquery/training/fraud.sql", "bigquery/training/payments.sql",
        "duckdb/training/fraud.sql", "duckdb/training/payments.sql"]


def test_unselected_dialects_are_left_alone(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    (out / "postgres/training/scoring.sql").write_text("stale\n")
    changes = golden.update(repo, out, dialects=["duckdb"])
    assert changes.clean and (out / "postgres/training/scoring.sql").read_text() == "stale\n"


def test_unexpected_files_exit_2_and_are_kept(repo: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    (out / "README.md").write_text("mine\n")
    (out / "duckdb/training/notes.txt").write_text("mine too\n")
    (out / "duckdb/training/old").mkdir()
    (out / "duckdb/training/old/scoring.sql").write_text("kept\n")
    (out / ".gitattributes").write_text("* text\n")  # hidden files are ignored
    for command in ("check", "update"):
        assert main(["golden", command, "--repo", str(repo), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("fsql: error: ")
        assert "3 file(s)" in err and "never deletes" in err
        assert "README.md, duckdb/training/notes.txt, duckdb/training/old/scoring.sql" in err
    assert (out / "README.md").exists() and (out / "duckdb/training/notes.txt").exists()
    assert (out / "duckdb/training/old/scoring.sql").exists()
    with pytest.raises(CheckError):
        golden.check(repo, out)


@pytest.mark.parametrize(("change", "message"), [
    (("--dialects", "duckbd"), "unknown dialect 'duckbd'. Did you mean 'duckdb'?"),
    (("--dialects", ","), "name at least one dialect"),
])
def test_bad_dialects_exit_2(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             change: tuple[str, str], message: str) -> None:
    argv = ["golden", "check", "--repo", str(repo), "--out", str(tmp_path / "g"), *change]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_missing_spine_setting_exit_2(repo: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "fsql.toml").write_text('[project]\nname = "x"\n')
    assert main(["golden", "update", "--repo", str(repo), "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "FeatureService 'payments'" in err and "services.py:6" in err
    assert '[golden] spine = "proj.ds.spine"' in err
    assert not (tmp_path / "g").exists()


def test_postgres_needs_spine_columns(repo: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "fsql.toml", 'spine_columns = {user_id = "int64", event_timestamp = '
         '"timestamp"}\n', "")
    assert main(["golden", "update", "--repo", str(repo), "--out", str(tmp_path / "g"),
                 "--dialects", "postgres"]) == 2
    err = capsys.readouterr().err
    assert "postgres/training/scoring.sql" in err and "add spine_columns" in err
    assert golden.update(repo, tmp_path / "g", dialects="duckdb").added == tuple(
        expected_files(("duckdb",)))


@pytest.mark.parametrize(("golden_table", "message"), [
    ('[golden]\nspin = "x"\n', "unknown setting 'spin'. Did you mean 'spine'?"),
    ('[golden]\nspine = "x"\nspine_columns = ["user_id"]\n',
     "lack the spine timestamp column 'event_timestamp'"),
    ('[golden]\nspine = "x"\ndialects = ["duckdb", "oracle"]\n', "unknown dialect 'oracle'"),
    ('[golden]\nspine = "x"\nspine_columns = {user_id = "int32"}\n', "int32"),
    ('[golden.services.scoring]\nspine_timestamp = "ts"\n', "give spine ="),
    ('[golden]\nspine = "x"\n[golden.services.scorng]\nspine = "y"\n',
     "there is no FeatureService 'scorng'. Did you mean 'scoring'?"),
    ('[golden]\nspine = "x"\nkinds = ["dbtt"]\n', "unknown kind 'dbtt'. Did you mean 'dbt'?"),
    ('[golden]\nspine = "x"\nkinds = "dbt"\n', "kinds must be a non-empty list"),
    ('[golden]\nspine = "x"\nend = "now"\n', "end = 'now' is not a fixed time"),
    ('[golden]\nspine = "x"\nend = "yesterday"\n', "write a date or timestamp"),
    ('[golden]\nspine = "x"\nfull_refresh = "yes"\n', "full_refresh must be true or false"),
])
def test_bad_settings_are_one_line(repo: Path, tmp_path: Path, golden_table: str,
                                   message: str) -> None:
    (repo / "fsql.toml").write_text(golden_table)
    with pytest.raises(DefinitionError, match=r"fsql\.toml") as caught:
        golden.check(repo, tmp_path / "g")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_shared_settings_without_a_default_spine(repo: Path, tmp_path: Path) -> None:
    (repo / "fsql.toml").write_text(
        '[golden]\nspine_columns = {user_id = "int64", event_timestamp = "timestamp", '
        'amount = "float64"}\n[golden.services.payments]\nspine = "proj.ds.payments"\n'
        '[golden.services.scoring]\nspine = "proj.ds.scoring"\n')
    files = golden.render(repo, dialects="postgres")  # postgres: the shared columns are used
    assert "FROM proj.ds.scoring" in files["postgres/training/scoring.sql"]


def test_out_is_a_file(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "g").write_text("")
    with pytest.raises(CheckError, match="is a file"):
        golden.update(repo, tmp_path / "g")


def test_jobs_give_the_same_files(repo: Path, tmp_path: Path) -> None:
    golden.update(repo, tmp_path / "one", cache=False, jobs=1)
    golden.update(repo, tmp_path / "two", jobs=2, cache=False)
    assert files_under(tmp_path / "one") == files_under(tmp_path / "two")


def test_processes_by_default_from_64_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert golden.default_jobs(golden.PARALLEL_FROM - 1) == 1
    assert golden.default_jobs(golden.PARALLEL_FROM) == 3


def test_a_worker_error_names_its_file(repo: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from fsql.checks import outputs

    def failing(*args: object, **kwargs: object) -> str:
        raise DefinitionError("no such thing")

    monkeypatch.setattr(outputs, "print_script", failing)  # forked workers inherit it
    with pytest.raises(DefinitionError, match=r"^\w+/materialize/\w+\.sql: no such thing$"):
        golden.update(repo, tmp_path / "g", jobs=2, cache=False)


def test_cli_subprocess(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    command = [sys.executable, "-m", "fsql.cli", "golden"]
    options = ["--repo", str(repo), "--out", str(out), "--dialects", "duckdb"]
    done = subprocess.run([*command, "update", *options], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "added duckdb/training/scoring.sql" in done.stdout
    done = subprocess.run([*command, "check", *options], capture_output=True, text=True)
    assert done.returncode == 0 and "up to date" in done.stdout
    edit(repo / "views.py", 'ttl="7d"', 'ttl="8d"')
    done = subprocess.run([*command, "check", *options, "--no-cache"], capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert "--- a/duckdb/training/scoring.sql" in done.stdout
    assert "--- a/duckdb/materialize/risk.sql" in done.stdout
    assert "--- a/duckdb/dbt/risk_latest.sql" in done.stdout
    # the training file, the script, the model and schema.yml (the view's definition hash)
    assert "4 changed, 0 added, 0 removed" in done.stdout


@pytest.mark.parametrize("dialect", SCRIPT_DIALECTS)
def test_scripts_and_models_are_what_materialize_and_dbt_write(
        repo: Path, tmp_path: Path, dialect: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out, dialects=dialect)
    for view in VIEW_NAMES:  # the documented default end
        assert main(["materialize", "--repo", str(repo), "--views", view, "--dialect", dialect,
                     "--print", "--end", "2000-01-01"]) == 0
        assert (out / dialect / "materialize" / f"{view}.sql").read_text() == \
            capsys.readouterr().out
    project = tmp_path / "dbt_project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: p\n")
    assert main(["dbt", "--repo", str(repo), "--out", str(project), "--dialect", dialect]) == 0
    models = project / "models" / "fsql"
    assert files_under(models) == files_under(out / dialect / "dbt")
    capsys.readouterr()
    # [golden] end and full_refresh are the scripts' --end and --full-refresh
    edit(repo / "fsql.toml", "[golden]\n",
         '[golden]\nend = "2024-06-01T12:30:00+02:00"\nfull_refresh = true\n')
    changes = golden.update(repo, out, dialects=dialect)
    assert set(changes.changed) == {f"{dialect}/materialize/{v}.sql" for v in VIEW_NAMES}
    assert main(["materialize", "--repo", str(repo), "--views", "risk", "--dialect", dialect,
                 "--print", "--full-refresh", "--end", "2024-06-01T10:30:00Z"]) == 0
    printed = capsys.readouterr().out
    assert (out / dialect / "materialize" / "risk.sql").read_text() == printed
    assert "as of 2024-06-01T10:30:00+00:00" in printed


def test_changed_view_fails_with_the_diff_of_its_script_and_model(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    edit(repo / "views.py", 'ttl="7d"', 'ttl="8d"')
    assert main(["golden", "check", "--repo", str(repo), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    for path in ("duckdb/materialize/risk.sql", "snowflake/dbt/risk_latest.sql"):
        assert f"--- a/{path}\n+++ b/{path}\n" in printed
    # the horizon of the view's rows, in microseconds: 7 days before, 8 days now
    diff = printed.split("--- a/duckdb/materialize/risk.sql")[1].split("--- a/")[0]
    assert any(line.startswith("-") and str(7 * 86400 * 10**6) in line
               for line in diff.splitlines())
    assert any(line.startswith("+") and str(8 * 86400 * 10**6) in line
               for line in diff.splitlines())
    assert "duckdb/materialize/activity.sql" not in printed
    # training (4 dialects) + script, model and schema.yml (3 dialects)
    assert "13 changed, 0 added, 0 removed" in printed
    assert main(["golden", "update", "--repo", str(repo), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["golden", "update", "--repo", str(repo), "--out", str(out)]) == 0
    assert "0 changed, 0 added, 0 removed" in capsys.readouterr().out


def test_hand_edited_dbt_model_is_reported_despite_the_cache(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    target = out / "bigquery/dbt/activity_latest.sql"
    target.write_text(target.read_text().replace("incremental", "table", 1))
    changes = golden.check(repo, out)
    assert changes.changed == ("bigquery/dbt/activity_latest.sql",)


def test_kinds_a_dialect_has_no_files_of_are_skipped(repo: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    # postgres has no materialization scripts or dbt models: its training files only
    assert main(["golden", "update", "--repo", str(repo), "--out", str(out),
                 "--dialects", "postgres"]) == 0
    assert sorted(files_under(out)) == expected_files(("postgres",))
    assert main(["golden", "check", "--repo", str(repo), "--out", str(out),
                 "--dialects", "postgres,duckdb"]) == 1
    assert f"0 changed, {len(expected_files(('duckdb',)))} added" in capsys.readouterr().out


def test_unexpected_script_and_model_files_are_listed(repo: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    extra = ["duckdb/dbt/notes.md", "duckdb/materialize/risk.txt",
             "postgres/dbt/risk_latest.sql", "postgres/materialize/risk.sql"]
    for path in extra:
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text("mine\n")
    assert main(["golden", "check", "--repo", str(repo), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{len(extra)} file(s)" in err and ", ".join(extra) in err
    assert "<dialect>/dbt/<name>.yml" in err
    assert all((out / path).exists() for path in extra)


def test_kinds_setting_chooses_the_files(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    edit(repo / "fsql.toml", "[golden]\n", '[golden]\nkinds = ["training"]\n')
    edit(repo / "views.py", 'ttl="7d"', 'ttl="8d"')
    changes = golden.update(repo, out)  # the other kinds' files are left as they are
    assert set(changes.changed) == {f"{d}/training/scoring.sql" for d in DIALECTS}
    assert sorted(files_under(out)) == expected_files()
    assert golden.render(repo).keys() == {f"{d}/training/{s}.sql" for d in DIALECTS
                                          for s in SERVICES_NAMES}


def test_untyped_key_says_how_to_fix_it(repo: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "views.py", ', schema={"user_id": "int64"})', ")")
    assert main(["golden", "update", "--repo", str(repo), "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bigquery/materialize/risk.sql" in err
    assert "the type of join key 'user_id'" in err and "schema={'user_id': 'int64'}" in err
    assert 'kinds = ["training"]' in err
    edit(repo / "fsql.toml", "[golden]\n", '[golden]\nkinds = ["training"]\n')
    assert golden.update(repo, tmp_path / "g").added == tuple(
        f"{d}/training/{s}.sql" for d in DIALECTS for s in SERVICES_NAMES)


def test_versioned_view_files(repo: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "views.py").open("a") as handle:
        handle.write('risk_v2 = FeatureView("risk", version=2, entities=[user], source=risk_src, '
                     'ttl="7d", features=[Field("score", "float64")])\n')
    out = tmp_path / "golden"
    golden.update(repo, out, dialects="duckdb")
    assert sorted(files_under(out / "duckdb/dbt")) == [
        "activity_latest.sql", "risk_v2_latest.sql", "schema.yml", "sources.yml"]
    project = tmp_path / "dbt_project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: p\n")
    assert main(["dbt", "--repo", str(repo), "--out", str(project), "--dialect", "duckdb"]) == 0
    assert files_under(project / "models/fsql") == files_under(out / "duckdb/dbt")
    capsys.readouterr()
    assert main(["materialize", "--repo", str(repo), "--views", "risk", "--dialect", "duckdb",
                 "--print", "--end", "2000-01-01"]) == 0
    printed = capsys.readouterr().out
    assert "risk_v2_latest" in printed and "CREATE OR REPLACE VIEW risk_latest" in printed
    assert (out / "duckdb/materialize/risk.sql").read_text() == printed


def test_a_fresh_machine_compiles_only_what_the_record_does_not_vouch_for(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    # Another checkout (another absolute path) on a machine with no local cache.
    moved, moved_out = tmp_path / "elsewhere" / "repo", tmp_path / "elsewhere" / "golden"
    shutil.copytree(repo, moved)
    shutil.copytree(out, moved_out)
    monkeypatch.setenv("FSQL_CACHE_DIR", "off")
    compiled = compiled_paths(monkeypatch)
    changes = golden.check(moved, moved_out)
    assert changes.clean and changes.unchanged == len(expected_files()) and compiled == []
    edit(moved / "views.py", 'ttl="7d"', 'ttl="8d"')
    changes = golden.check(moved, moved_out)
    risk = {f"{d}/training/{s}.sql" for d in DIALECTS for s in ("scoring",)} | {
        f"{d}/{f}" for d in SCRIPT_DIALECTS
        for f in ("materialize/risk.sql", "dbt/risk_latest.sql", "dbt/schema.yml")}
    assert set(changes.changed) == risk and set(compiled) == risk
    compiled.clear()
    assert not golden.update(moved, moved_out).clean and set(compiled) == risk
    compiled.clear()
    assert golden.check(moved, moved_out).clean and compiled == []
    # --no-cache compiles everything, and finds the same.
    assert golden.check(moved, moved_out, cache=False).clean
    assert sorted(compiled) == expected_files()


def test_the_record_never_hides_a_hand_edit(repo: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out)
    monkeypatch.setenv("FSQL_CACHE_DIR", "off")
    target = out / "duckdb/materialize/activity.sql"
    target.write_text(target.read_text().replace("MERGE", "-- MERGE", 1))
    compiled = compiled_paths(monkeypatch)
    changes = golden.check(repo, out)
    assert changes.changed == ("duckdb/materialize/activity.sql",)
    assert compiled == ["duckdb/materialize/activity.sql"]


def test_the_record_is_deterministic_and_follows_removed_files(repo: Path,
                                                               tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    golden.update(repo, first)
    golden.update(repo, second, cache=False)
    record = (first / RECORD).read_text()
    assert record == (second / RECORD).read_text()
    names = json.loads(record)["files"]
    assert sorted(names) == expected_files()
    edit(repo / "services.py", 'scoring = FeatureService("scoring", features=[risk, activity])',
         "")
    changes = golden.update(repo, first)
    assert set(changes.removed) == {f"{d}/training/scoring.sql" for d in DIALECTS}
    assert sorted(json.loads((first / RECORD).read_text())["files"]) == sorted(
        files_under(first))


@pytest.mark.parametrize("text", ["{not json", '{"format": "other", "files": {}}',
                                  '{"format": "fsql golden record 1", "files": {"x": 1}}'])
def test_a_broken_record_exits_2(repo: Path, tmp_path: Path, text: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "golden"
    golden.update(repo, out, dialects="duckdb")
    (out / RECORD).write_text(text)
    assert main(["golden", "check", "--repo", str(repo), "--out", str(out),
                 "--dialects", "duckdb"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and RECORD in err and "fsql golden update" in err
