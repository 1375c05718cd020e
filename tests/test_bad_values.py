"""fsql.engines.bad_values.first_bad_timestamp: the row and text of the first value that is
neither a timestamp nor a date, on any DuckDB relation (a CSV or Parquet file, a registered
DataFrame)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fsql.engines.bad_values import first_bad_timestamp
from fsql.engines.statements import read_file, table


@pytest.mark.parametrize(("values", "expected"), [
    (["2024-01-01T10:00:00Z", "", "2024-13-45", "soon"], (3, "2024-13-45")),
    (["yesterday"], (1, "yesterday")),
    (["2024-01-01", "2024-01-02 10:00:00+02:00", "", "2024-01-03T00:00:00.123456"], None),
])
def test_csv_rows_count_from_the_first_line_after_the_header(
        tmp_path: Path, values: list[str], expected: tuple[int, str] | None) -> None:
    path = tmp_path / "spine.csv"
    path.write_text("id,event time\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    con = duckdb.connect()
    assert first_bad_timestamp(con, read_file(None, reader="read_csv"), [str(path)],
                               "event time") == expected
    assert con.sql("SELECT 1").fetchall() == [(1,)]  # no result left open, no table left
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]


def test_a_parquet_file_and_a_quoted_column_name(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    column = 'say "when"'
    pq.write_table(pa.table({column: ["2024-01-01", None, "  ", "13/45/2024"]}), path)
    con = duckdb.connect()
    assert first_bad_timestamp(con, read_file(None, reader="read_parquet"), [str(path)],
                               column) == (4, "13/45/2024")


def test_a_registered_dataframe_keeps_its_order() -> None:
    con = duckdb.connect()
    con.register("frame", pd.DataFrame({"ts": [f"2024-01-{d:02d}" for d in range(1, 30)]
                                        + ["2024-02-30", "nope"]}))
    assert first_bad_timestamp(con, table("frame"), [], "ts") == (30, "2024-02-30")
