"""The Python API, ``Repo.get_historical_features``, through the public API only.

1. Every golden case, run on file-backed copies of its tables, gives the oracle's expected.csv,
   with a pandas spine in shuffled order under a string index (and, for a few cases, Arrow,
   CSV and Parquet spines and ``arrow=True``).
2. On the fraud example (small generated data), every spine kind gives the rows ``fsql run``
   writes; the DataFrame keeps the spine's index, time zones, decimals and nullable ints.
3. The dtype of each fsql dtype in the output, spine queries and their relative paths, and
   the errors a new user meets first (a bad spine timestamp, a failing spine query).
"""

from __future__ import annotations

import importlib.util
import math
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from fsql import CompileError, Entity, ExecutionError, FeatureView, Field, Repo, Source
from fsql.cli import main
from tests.engines import Result
from tests.golden_support import (
    GOLDEN,
    GoldenCase,
    assert_result_matches,
    cases,
    format_value,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fraud"


# -- golden cases on file-backed repositories ------------------------------------------------
def _arrow_type(dtype: str) -> pa.DataType:
    if dtype.startswith("decimal"):
        precision, scale = re.findall(r"\d+", dtype)
        return pa.decimal128(int(precision), int(scale))
    return {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(),
            "bool": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC"),
            "date": pa.date32()}[dtype]


def _pandas_dtype(dtype: str) -> Any:
    return {"int64": "Int64", "float64": "float64", "string": "string", "bool": "boolean",
            "timestamp": "datetime64[us, UTC]"}.get(dtype, object)


def _sort_key(value: Any) -> tuple[bool, Any]:
    """The golden rule for expected.csv's order: the spine sorted by all columns, NULLs first."""
    if isinstance(value, datetime):
        return (True, value.astimezone(UTC))
    return (value is not None, value)


@dataclass
class FileCase:
    """A golden case whose ``table=`` sources are Parquet files of a repository on disk, and
    its spine rows in a shuffled order with the expected row of each."""

    case: GoldenCase
    repo: Repo
    options: dict[str, Any]
    spine_columns: list[tuple[str, str]]
    spine_rows: list[tuple[Any, ...]]
    expected: list[tuple[Any, ...]]

    def arrow_spine(self) -> pa.Table:
        schema = pa.schema([(c, _arrow_type(t)) for c, t in self.spine_columns])
        return pa.Table.from_pylist(
            [dict(zip(schema.names, r, strict=True)) for r in self.spine_rows], schema=schema)

    def pandas_spine(self) -> pd.DataFrame:
        frame = pd.DataFrame({c: pd.Series([r[i] for r in self.spine_rows], dtype=_pandas_dtype(t))
                              for i, (c, t) in enumerate(self.spine_columns)})
        # A string index in no particular order: the output must keep it, row for row.
        return frame.set_axis([f"row-{(7 * i) % 11}-{i}" for i in range(len(frame))])

    def check(self, result: Any) -> None:
        """``result`` (a DataFrame or an Arrow table) holds the expected rows, in spine order,
        each feature column of the documented type (docs/python_api.md)."""
        expected = self.expected
        if not isinstance(result, pa.Table):  # pandas float64 holds NULL as NaN: one value
            expected = [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
                        for row in expected]
        assert_result_matches(_result(result), expected, self.case.output_dtypes)
        spine = {c for c, _ in self.spine_columns}
        for name, dtype in self.case.output_dtypes.items():
            if name in spine:
                continue
            if isinstance(result, pa.Table):
                got: Any = result.schema.field(name).type
                assert got == _arrow_type(dtype), f"{name}: {got} for {dtype}"
            else:
                got = str(result[name].dtype)
                want = {"int64": "Int64", "bool": "boolean", "float64": "float64",
                        "timestamp": "datetime64[us, UTC]"}.get(dtype, "object")
                if dtype == "string":
                    assert pd.api.types.is_string_dtype(result[name]), f"{name}: {got}"
                else:
                    assert got == want, f"{name}: {got} for {dtype}"
                if dtype.startswith("decimal"):
                    assert all(isinstance(v, Decimal) for v in result[name].dropna()), name


def _file_case(case: GoldenCase, root: Path) -> FileCase:
    shutil.copytree(case.path / "features", root)
    for file in root.rglob("*.py"):
        text = re.sub(r'\btable="([^"]+)"', r'path="data/\1.parquet"', file.read_text())
        assert "table=" not in text, f"{file}: a table= source left"
        file.write_text(text)
    request = case.config["request"]
    spine_name = request.get("spine", "spine")
    (root / "data").mkdir()
    for name, table in case.tables.items():
        if name != spine_name:
            schema = pa.schema([(c, _arrow_type(t)) for c, t in table.columns])
            rows = [dict(zip(schema.names, r, strict=True)) for r in table.rows]
            pq.write_table(pa.Table.from_pylist(rows, schema=schema),
                           root / "data" / f"{name}.parquet")
    spine = case.tables[spine_name]
    expected = case.expected()
    # expected.csv follows the sorted spine; feed the spine shuffled and pair each row with its
    # expected row (equal spine rows have equal expected rows, so ties cannot mismatch).
    by_order = sorted(range(len(spine.rows)),
                      key=lambda i: tuple(_sort_key(v) for v in spine.rows[i]))
    expected_of = {row: expected[pos] for pos, row in enumerate(by_order)}
    order = list(range(len(spine.rows)))
    random.Random(case.name).shuffle(order)
    options = {k: request[k] for k in ("cut", "created_cutoff", "full_names",
                                       "spine_timestamp") if k in request}
    return FileCase(case, Repo.load(root), {"features": request["features"], **options},
                    list(spine.columns), [tuple(spine.rows[i]) for i in order],
                    [expected_of[i] for i in order])


def _python(value: Any) -> Any:
    """A pandas/Arrow cell as a plain Python value, NULL (NA, NaT, NaN) as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _result(result: Any) -> Result:
    if isinstance(result, pa.Table):
        return Result(result.column_names, [tuple(r.values()) for r in result.to_pylist()])
    rows = result.astype(object).itertuples(index=False, name=None)
    return Result([str(c) for c in result.columns], [tuple(map(_python, r)) for r in rows])


def _request(file_case: FileCase, spine: Any, **extra: Any) -> Any:
    options = dict(file_case.options)
    return file_case.repo.get_historical_features(options.pop("features"), spine,
                                                  **options, **extra)


GOLDEN_CASES = cases()
REPRESENTATIVE = ["aggregations", "date_source", "key_mapping", "nan_floats", "tz_offsets",
                  "weird_identifiers"]


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[c.name for c in GOLDEN_CASES])
def test_golden_case_with_a_pandas_spine(case: GoldenCase, tmp_path: Path) -> None:
    fc = _file_case(case, tmp_path / "repo")
    spine = fc.pandas_spine()
    result = _request(fc, spine)
    assert isinstance(result, pd.DataFrame)
    fc.check(result)
    assert result.index.equals(spine.index)
    pd.testing.assert_frame_equal(result[list(spine.columns)], spine)  # dtypes too


@pytest.mark.parametrize("kind", ["arrow", "csv", "parquet"])
@pytest.mark.parametrize("name", REPRESENTATIVE)
@pytest.mark.parametrize("arrow", [False, True], ids=["pandas_out", "arrow_out"])
def test_golden_case_with_other_spine_kinds(name: str, kind: str, arrow: bool,
                                            tmp_path: Path) -> None:
    fc = _file_case(GoldenCase(GOLDEN / name), tmp_path / "repo")
    table = fc.arrow_spine()
    spine: Any = table
    if kind == "parquet":
        spine = tmp_path / "spine.parquet"
        pq.write_table(table, spine)
    elif kind == "csv":
        spine = tmp_path / "spine.csv"
        lines = [",".join(f'"{c}"' for c in table.column_names)]
        lines += [",".join(format_value(v) for v in row) for row in fc.spine_rows]
        spine.write_text("\n".join(lines) + "\n")
    result = _request(fc, spine, arrow=arrow)
    assert isinstance(result, pa.Table if arrow else pd.DataFrame)
    fc.check(result)
    if kind == "arrow" and arrow:
        assert result.select(table.column_names).equals(table)  # the spine's own arrays


# -- the fraud example: every spine kind gives what `fsql run` writes -------------------------
@dataclass
class Fraud:
    """The fraud example with small generated data, and the `fsql run` output on its spine."""

    root: Path
    repo: Repo
    spine_path: Path
    reference: pa.Table


def _run_cli(root: Path, spine: str, out: Path) -> pa.Table:
    code = main(["run", "--repo", str(root), "--features", "fraud_detection", "--spine", spine,
                 "--out", str(out)])
    assert code == 0
    return pq.read_table(out)


@pytest.fixture(scope="module")
def fraud(tmp_path_factory: pytest.TempPathFactory) -> Fraud:
    root = tmp_path_factory.mktemp("fraud") / "repo"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.parquet", "__pycache__"))
    spec = importlib.util.spec_from_file_location("fraud_api_generate_data",
                                                  root / "generate_data.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(root / "data", users=200, merchants=40, transactions=2000)
    spine = root / "data" / "transactions.parquet"
    reference = _run_cli(root, str(spine), root.parent / "reference.parquet")
    assert reference.num_rows == 2000
    return Fraud(root, Repo.load(root), spine, reference)


def _dtypes(table: pa.Table) -> dict[str, str]:
    """fsql dtypes of an Arrow table's columns (for assert_result_matches)."""
    out = {}
    for f in table.schema:
        t = f.type
        out[f.name] = ("int64" if pa.types.is_integer(t) else "float64"
                       if pa.types.is_floating(t) else "bool" if pa.types.is_boolean(t)
                       else "timestamp" if pa.types.is_timestamp(t) else "date"
                       if pa.types.is_date(t) else "decimal" if pa.types.is_decimal(t)
                       else "string")
    return out


def _assert_same_rows(result: Any, reference: pa.Table) -> None:
    expected = [tuple(r.values()) for r in reference.to_pylist()]
    assert_result_matches(_result(result), expected, _dtypes(reference))


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory outside the repository."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_fraud_pandas_spine_keeps_index_order_zone_and_types(fraud: Fraud) -> None:
    spine = pd.read_parquet(fraud.spine_path)
    order = list(range(len(spine)))
    random.Random(3).shuffle(order)
    spine = spine.iloc[order]  # shuffled, its index a shuffled RangeIndex
    spine["event_timestamp"] = spine["event_timestamp"].dt.tz_convert(
        "America/New_York").astype("datetime64[ns, America/New_York]")
    result = fraud.repo.get_historical_features("fraud_detection", spine)
    assert list(result.index) == order
    assert result["event_timestamp"].dtype == "datetime64[ns, America/New_York]"
    pd.testing.assert_frame_equal(result[list(spine.columns)], spine)
    _assert_same_rows(result, fraud.reference.take(order))
    # Decimals stay exact Decimal values; nullable ints and bools stay ints and bools.
    limits = result["credit_limit"]
    assert limits.dtype == object and limits.isna().any()
    assert all(isinstance(v, Decimal) for v in limits.dropna())
    assert limits.dropna().tolist() == [
        v for v in fraud.reference.take(order).column("credit_limit").to_pylist() if v is not None]
    for name, dtype in (("account_age_days", "Int64"), ("txn_count_7d", "Int64"),
                        ("is_verified", "boolean"), ("risk_score", "float64")):
        assert result[name].dtype == dtype, name
    assert result["account_age_days"].isna().any()  # unknown users: NA, not NaN in a float


def test_fraud_pandas_spine_with_string_index_and_naive_times(fraud: Fraud) -> None:
    spine = pd.read_parquet(fraud.spine_path).head(300)
    spine["event_timestamp"] = spine["event_timestamp"].dt.tz_localize(None)  # naive = UTC
    spine.index = pd.Index([f"tx-{i % 7}" for i in range(300)], name="bucket")  # duplicates
    result = fraud.repo.get_historical_features("fraud_detection", spine)
    assert result.index.equals(spine.index) and result.index.name == "bucket"
    assert str(result["event_timestamp"].dtype) == str(spine["event_timestamp"].dtype)
    assert result["event_timestamp"].dt.tz is None
    _assert_same_rows(result, fraud.reference.slice(0, 300))


def test_fraud_arrow_spine(fraud: Fraud) -> None:
    spine = pq.read_table(fraud.spine_path)
    as_frame = fraud.repo.get_historical_features("fraud_detection", spine)
    _assert_same_rows(as_frame, fraud.reference)
    assert as_frame["event_timestamp"].dtype == "datetime64[us, UTC]"
    as_table = fraud.repo.get_historical_features("fraud_detection", spine, arrow=True)
    # decimal128(12, 2), int64, bool...: the types `fsql run` writes (Parquet adds metadata)
    assert [(f.name, f.type) for f in as_table.schema] == \
        [(f.name, f.type) for f in fraud.reference.schema]
    _assert_same_rows(as_table, fraud.reference)


@pytest.mark.usefixtures("elsewhere")
def test_fraud_parquet_and_csv_spines(fraud: Fraud, tmp_path: Path) -> None:
    parquet = fraud.repo.get_historical_features("fraud_detection", fraud.spine_path)
    _assert_same_rows(parquet, fraud.reference)
    # A Parquet spine's timestamps keep the file's zone (the same instants).
    table = pq.read_table(fraud.spine_path)
    zoned = table.set_column(3, "event_timestamp", table.column("event_timestamp").cast(
        pa.timestamp("us", tz="America/New_York")))
    pq.write_table(zoned, tmp_path / "zoned.parquet")
    result = fraud.repo.get_historical_features("fraud_detection", "zoned.parquet")
    assert result["event_timestamp"].dtype == "datetime64[us, America/New_York]"
    _assert_same_rows(result, fraud.reference)
    csv = tmp_path / "spine.csv"
    pacsv.write_csv(pq.read_table(fraud.spine_path), csv)
    from_csv = fraud.repo.get_historical_features("fraud_detection", csv.name, arrow=True)
    _assert_same_rows(from_csv, fraud.reference)


@pytest.mark.usefixtures("elsewhere")
def test_fraud_spine_query_reads_paths_relative_to_the_repository(fraud: Fraud,
                                                                  tmp_path: Path) -> None:
    everything = "SELECT * FROM read_parquet('data/transactions.parquet')"
    _assert_same_rows(fraud.repo.get_historical_features("fraud_detection", everything),
                      fraud.reference)
    some = ("WITH t AS (SELECT * FROM 'data/transactions.parquet') "
            "SELECT * FROM t WHERE user_id % 3 = 0 ORDER BY event_timestamp DESC, transaction_id")
    result = fraud.repo.get_historical_features("fraud_detection", some)
    # `fsql run` with the same query (also from outside the repository) writes the same rows.
    cli = _run_cli(fraud.root, some, tmp_path / "some.parquet")
    assert 0 < len(result) == cli.num_rows < 2000
    assert all(u % 3 == 0 for u in result["user_id"])
    assert result["event_timestamp"].is_monotonic_decreasing
    _assert_same_rows(result, cli)


def test_fraud_spine_query_would_read_a_file_of_the_working_directory(
        fraud: Fraud, elsewhere: Path) -> None:
    """DuckDB tries a relative path in the working directory before file_search_path: a file
    there with the same relative path is refused rather than read silently."""
    (elsewhere / "data").mkdir()
    shutil.copy(fraud.spine_path, elsewhere / "data" / "transactions.parquet")
    with pytest.raises(ExecutionError, match=r"The spine query reads 'data/transactions.parquet'"
                                             r", which DuckDB would take from the working"):
        fraud.repo.get_historical_features(
            "fraud_detection", "SELECT * FROM read_parquet('data/transactions.parquet')")


def test_fraud_spine_query_that_fails(fraud: Fraud) -> None:
    with pytest.raises(ExecutionError) as info:
        fraud.repo.get_historical_features("fraud_detection",
                                           "SELECT * FROM read_parquet('data/nope.parquet')")
    message = str(info.value)
    assert message.startswith("DuckDB failed to run the spine query ")
    assert "SELECT * FROM read_parquet('data/nope.parquet')" in message
    assert f"relative paths in it name files under {str(fraud.root)!r}" in message
    assert "No files found" in message and "\n" not in message


@pytest.mark.parametrize("kind", ["csv", "pandas"])
def test_spine_timestamp_that_is_not_a_timestamp_names_row_and_value(fraud: Fraud, kind: str,
                                                                     tmp_path: Path) -> None:
    values = ["2024-05-02T10:00:00Z", "", "2024-13-45", "soon"]
    spine: Any = pd.DataFrame({"user_id": pd.array([1, 2, 3, 4], dtype="Int64"),
                               "merchant_id": pd.array([1, 1, 1, 1], dtype="Int64"),
                               "amount": [1.0] * 4,
                               "event_timestamp": [v or None for v in values]})
    if kind == "csv":
        spine = tmp_path / "spine.csv"
        spine.write_text("user_id,merchant_id,amount,event_timestamp\n" + "".join(
            f"{i + 1},1,1.0,{v}\n" for i, v in enumerate(values)))
    with pytest.raises(CompileError) as info:
        fraud.repo.get_historical_features("fraud_detection", spine)
    message = str(info.value)
    assert "timestamp column 'event_timestamp'" in message
    assert "row 3: '2024-13-45' is not a timestamp" in message
    assert "ISO 8601" in message and "\n" not in message


# -- what each fsql dtype becomes --------------------------------------------------------------
def test_each_dtype_in_the_output(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    schema = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("us")), ("n", pa.int64()),
                        ("x", pa.float64()), ("s", pa.string()), ("b", pa.bool_()),
                        ("at", pa.timestamp("us")), ("d", pa.date32()),
                        ("m", pa.decimal128(38, 10))])
    big = Decimal("1234567890123456789012345678.0123456789")  # 38 digits: no float holds it
    rows = [
        {"id": 1, "ts": datetime(2024, 1, 1), "n": 2**62 + 1, "x": 0.1, "s": "a", "b": True,
         "at": datetime(2024, 1, 1, 12), "d": date(2024, 1, 1), "m": big},
        {"id": 2, "ts": datetime(2024, 1, 1), "n": None, "x": None, "s": None, "b": None,
         "at": None, "d": None, "m": None},
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), root / "data" / "v.parquet")
    view = FeatureView("v", entities=[Entity("e", join_keys=["id"])],
                       source=Source("v", path="data/v.parquet", timestamp_field="ts"),
                       features=[Field("n", "int64"), Field("x", "float64"), Field("s", "string"),
                                 Field("b", "bool"), Field("at", "timestamp"), Field("d", "date"),
                                 Field("m", "decimal(38,10)")])
    repo = Repo.from_objects([view], root=root)
    spine = pd.DataFrame({"id": [1, 2, 3], "event_timestamp": pd.Timestamp("2024-02-01")})
    out = repo.get_historical_features("v", spine)
    assert {c: str(out[c].dtype) for c in ["n", "x", "b", "at", "d", "m"]} == {
        "n": "Int64", "x": "float64", "b": "boolean", "at": "datetime64[us, UTC]",
        "d": "object", "m": "object"}
    assert pd.api.types.is_string_dtype(out["s"])
    assert out["n"].tolist()[0] == 2**62 + 1  # exact: not through a float
    assert out["m"].tolist()[0] == big and isinstance(out["m"].tolist()[0], Decimal)
    assert out["d"].tolist()[0] == date(2024, 1, 1)
    assert out["at"].tolist()[0] == pd.Timestamp("2024-01-01T12:00", tz="UTC")
    for name in ["n", "x", "s", "b", "at", "d", "m"]:
        assert out[name].isna().tolist() == [False, True, True], name
    table = repo.get_historical_features("v", spine, arrow=True)
    assert table.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("m").type == pa.decimal128(38, 10)
    assert table.column("m").to_pylist()[0] == big

