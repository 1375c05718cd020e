"""`fsql plan`: hashes of what decides results, the lock file, and the classification of
changes (compatible, breaking with the services that use the feature)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fsql.contracts import LOCK_NAME, changes, current, plan, read_lock
from fsql.errors import DefinitionError
from fsql.repo import Repo

DEFINITIONS = '''
from fsql import Aggregate, Entity, FeatureService, FeatureView, Field, Source
user = Entity("user", join_keys=["user_id"])
src = Source("src", path="data/x.parquet", timestamp_field="ts")
profile = FeatureView("profile", entities=[user], source=src, ttl="{ttl}",
                      description="{description}",
                      features=[Field("age", "{age_dtype}"){extra}])
events = FeatureView("events", entities=[user], source=src,
                     features=[Aggregate("amount", "sum", "{window}", dtype="float64")])
svc = FeatureService("svc", features=[profile, events])
other = FeatureService("other", features=["events:amount_sum_{window}"])
'''


def write(root: Path, *, ttl: str = "7d", age_dtype: str = "int64", extra: str = "",
          window: str = "1d", description: str = "v1") -> Repo:
    (root / "defs.py").write_text(DEFINITIONS.format(ttl=ttl, age_dtype=age_dtype, extra=extra,
                                                     window=window, description=description))
    return Repo.load(root)


def test_a_first_plan_writes_the_lock_and_a_second_changes_nothing(tmp_path: Path) -> None:
    found, wrote = plan(write(tmp_path))
    assert wrote and {c.kind for c in found} == {"added"}
    text = (tmp_path / LOCK_NAME).read_text()
    found, wrote = plan(write(tmp_path))
    assert found == [] and not wrote and (tmp_path / LOCK_NAME).read_text() == text


def test_descriptions_do_not_change_the_contract(tmp_path: Path) -> None:
    plan(write(tmp_path))
    assert changes(read_lock(tmp_path / LOCK_NAME), current(write(tmp_path, description="v2"))) \
        == []


def test_an_added_feature_is_compatible(tmp_path: Path) -> None:
    plan(write(tmp_path))
    found = changes(read_lock(tmp_path / LOCK_NAME),
                    current(write(tmp_path, extra=', Field("city", "string")')))
    feature = [c for c in found if c.what.startswith("feature")]
    assert [(c.kind, c.what, c.breaking) for c in feature] == [
        ("added", "feature profile:city", False)]


@pytest.mark.parametrize("edit, kind, what, detail", [
    (dict(age_dtype="float64"), "retyped", "feature profile:age", "int64 -> float64"),
    (dict(ttl="8d"), "changed", "feature profile:age", "ttl: '7d' -> '8d'"),
    (dict(window="2d"), "removed", "feature events:amount_sum_1d", "no longer defined"),
])
def test_breaking_changes_name_the_services_using_the_feature(
        tmp_path: Path, edit: dict[str, str], kind: str, what: str, detail: str) -> None:
    plan(write(tmp_path))
    found = changes(read_lock(tmp_path / LOCK_NAME), current(write(tmp_path, **edit)))
    (change,) = [c for c in found if c.what == what and c.kind == kind]
    assert change.breaking and detail in change.detail
    expected = ("other", "svc") if what.startswith("feature events") else ("svc",)
    assert change.services == expected


def test_accept_records_a_breaking_change_with_a_version_bump(tmp_path: Path) -> None:
    plan(write(tmp_path))
    repo = write(tmp_path, ttl="30d")
    found, wrote = plan(repo)
    assert any(c.breaking for c in found) and not wrote
    found, wrote = plan(repo, accept=True)
    lock = read_lock(tmp_path / LOCK_NAME)
    assert wrote and lock is not None
    assert lock["views"]["profile"]["version"] == 2 and lock["views"]["events"]["version"] == 1


def test_the_cli_check_exits_1_on_a_breaking_change_and_2_on_a_bad_lock(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "fsql.cli", "plan", "--repo", str(tmp_path)]
    write(tmp_path)
    assert subprocess.run(run, capture_output=True).returncode == 0
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 0
    write(tmp_path, age_dtype="string")
    done = subprocess.run([*run, "--check"], capture_output=True, text=True)
    assert done.returncode == 1 and "BREAKING" in done.stdout and "profile:age" in done.stdout
    (tmp_path / LOCK_NAME).write_text("{not json")
    bad = subprocess.run([*run, "--check"], capture_output=True, text=True)
    assert bad.returncode == 2 and "cannot read the lock file" in bad.stderr


def test_a_lock_of_another_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text('{"format": 99}')
    with pytest.raises(DefinitionError, match="not an fsql lock file"):
        read_lock(tmp_path / LOCK_NAME)


def test_the_lock_version_follows_a_declared_version(tmp_path: Path) -> None:
    plan(write(tmp_path))
    text = DEFINITIONS.replace('profile = FeatureView("profile",',
                               'profile = FeatureView("profile", version=3,')
    (tmp_path / "defs.py").write_text(text.format(ttl="7d", age_dtype="int64", extra="",
                                                  window="1d", description="v1"))
    found, wrote = plan(Repo.load(tmp_path))
    lock = read_lock(tmp_path / LOCK_NAME)
    assert found == [] and wrote and lock is not None
    assert lock["views"]["profile"]["version"] == 3 and lock["views"]["events"]["version"] == 1


def test_plan_asks_to_declare_an_accepted_version(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "fsql.cli", "plan", "--repo", str(tmp_path)]
    write(tmp_path)
    subprocess.run(run, check=True, capture_output=True)
    write(tmp_path, ttl="30d")
    done = subprocess.run([*run, "--accept"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "view profile  version 2  hash " in done.stdout
    assert "declare FeatureView('profile', ..., version=2)" in done.stdout
