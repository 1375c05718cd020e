"""The definition DSL accepts what the docs promise, records where each definition was made, and
resolves requests into projections."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import fsql.dsl.definitions
from fsql import DefinitionError, Entity, FeatureService, FeatureView, Field, Repo, Source
from fsql.dtypes import DType, parse_dtype
from fsql.durations import parse_duration


def _here() -> int:
    """The line number of the caller."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)), ("2h", timedelta(hours=2)),
    ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)),
    ("1h30m", timedelta(hours=1, minutes=30)), (" 1d 12h ", timedelta(days=1, hours=12)),
    ("1w1d1h1m1s", timedelta(days=8, hours=1, minutes=1, seconds=1)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, where="test") == expected


def test_timedelta_durations_pass_through() -> None:
    assert parse_duration(timedelta(microseconds=1), where="t") == timedelta(microseconds=1)
    with pytest.raises(DefinitionError, match=r"finer than a microsecond|must be positive"):
        parse_duration(timedelta(0), where="t")


@pytest.mark.parametrize(("text", "expected"), [
    ("int64", DType("int64")), ("FLOAT64", DType("float64")), (" string ", DType("string")),
    ("bool", DType("bool")), ("timestamp", DType("timestamp")), ("date", DType("date")),
    ("decimal(18, 2)", DType("decimal", 18, 2)), ("Decimal(38,0)", DType("decimal", 38, 0)),
])
def test_dtypes(text: str, expected: DType) -> None:
    assert parse_dtype(text, where="test") == expected


@pytest.mark.parametrize(("dtype", "default"), [
    ("int64", 0), ("int64", -(2**63)), ("float64", 1), ("float64", 0.5), ("string", ""),
    ("bool", False), ("timestamp", datetime(2024, 1, 1)), ("date", date(2024, 1, 1)),
    ("decimal(10,2)", Decimal("1.25")), ("decimal(10,2)", 3), ("int64", None),
])
def test_defaults_that_fit_their_dtype(dtype: str, default: object) -> None:
    assert Field("f", dtype, default=default).default == default


def test_definitions_record_where_they_were_made() -> None:
    user, line = Entity("user", join_keys=["user_id"]), _here()
    assert user.location == f"{__file__}:{line}"
    src, line = Source("s", table="t", timestamp_field="ts"), _here()
    assert src.location == f"{__file__}:{line}"
    line, view = _here(), FeatureView("v", entities=[user], source=src,
                                      features=[Field("a", "int64")])
    assert view.location == f"{__file__}:{line}"


def test_location_skips_only_fsql_itself() -> None:
    """A user file in a directory whose name merely starts like fsql's package directory (say
    ``.../fsql_plugins/``) is user code, and its file:line is the location."""
    package_dir = Path(fsql.__file__).parent
    filename = f"{package_dir}_plugins/defs.py"
    namespace: dict[str, object] = {"Entity": Entity}
    exec(compile('\n\nuser = Entity("user", join_keys=["id"])\n', filename, "exec"), namespace)
    user = namespace["user"]
    assert isinstance(user, Entity)
    assert user.location == f"{filename}:3"


def test_definitions_are_frozen() -> None:
    user = Entity("user", join_keys=["user_id"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.name = "other"  # type: ignore[misc]


def test_equal_definitions_ignore_their_location() -> None:
    assert Entity("user", join_keys=["user_id"]) == Entity("user", join_keys=["user_id"])
    assert Entity("user", join_keys=["user_id"]) != Entity("user", join_keys=["uid"])


def test_projections() -> None:
    user = Entity("user", join_keys=["user_id"])
    view = FeatureView("stats", entities=[user],
                       source=Source("s", table="t", timestamp_field="ts",
                                     field_mapping={"amt": "amount"}),
                       features=[Field("amount", "float64"), Field("n", "int64")])
    assert view.projection().feature_names == ("amount", "n")
    assert view[["n"]].feature_names == ("n",)
    assert view["n"].feature_names == ("n",)
    buyer = view.with_name("buyer").with_join_key_map({"user_id": "buyer_id"})
    assert (buyer.name, buyer.view, buyer.spine_column("user_id")) == ("buyer", view, "buyer_id")
    assert view.source.column_for("amount") == "amt"
    assert view.source.column_for("n") == "n"
    with pytest.raises(DefinitionError, match=r"values must be spine column names"):
        view.with_join_key_map({"user_id": ""})


def test_repo_registers_what_a_view_uses() -> None:
    user = Entity("user", join_keys=["user_id"])
    src = Source("s", table="t", timestamp_field="ts")
    view = FeatureView("v", entities=[user], source=src, features=[Field("a", "int64")])
    repo = Repo.from_objects([view, view, FeatureService("svc", features=[view])])
    assert (list(repo.entities), list(repo.sources), list(repo.views), list(repo.services)) \
        == (["user"], ["s"], ["v"], ["svc"])


def test_resolve_merges_references_per_view_in_order() -> None:
    src = Source("s", table="t", timestamp_field="ts")
    a = FeatureView("a", source=src, features=[Field("x", "int64"), Field("y", "int64"),
                                               Field("z", "int64")])
    b = FeatureView("b", source=Source("s2", table="t2", timestamp_field="ts"),
                    features=[Field("w", "string")])
    repo = Repo.from_objects([a, b, FeatureService("svc", features=["a:z", b, "a:x"])])
    merged = repo.resolve("a:z, b:w ,a:x,a:z")
    assert [(p.name, p.feature_names) for p in merged] == [("a", ("z", "x")), ("b", ("w",))]
    assert [(p.name, p.feature_names) for p in repo.resolve("svc")] == \
        [("a", ("z", "x")), ("b", ("w",))]
    assert [(p.name, p.feature_names) for p in repo.resolve("a")] == [("a", ("x", "y", "z"))]


def test_service_needs_a_list() -> None:
    view = FeatureView("v", source=Source("s", table="t", timestamp_field="ts"),
                       features=[Field("a", "int64")])
    with pytest.raises(DefinitionError, match=r"features= must be a list.*features=\[view\]"):
        FeatureService("svc", features=view)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match=r"features= is empty"):
        FeatureService("svc", features=[])
