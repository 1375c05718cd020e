"""Deterministic benchmark data for the point-in-time join, written as Parquet.

Layout, for each size label (``100k``: a 100k-row spine over two 1M-row sources; ``1m``: a
1M-row spine over two 10M-row sources)::

    <data>/<size>/spine.parquet    user_id, merchant_id, event_timestamp (timestamp[us, UTC]), label
    <data>/<size>/view_a.parquet   user_id, event_ts, created_ts, a_amount .. a_score
    <data>/<size>/view_b.parquet   merchant_id, event_ts, created_ts, b_rating .. b_risk

Every source spans 90 days and ~100k keys, has a few NULL features and NULL created times,
exact ties on (key, event_ts) broken by created_ts, and full ties on (key, event_ts,
created_ts) (some rows fully identical). The spine is in random order and holds unknown keys,
NULL keys, NULL timestamps, duplicated rows, timestamps equal to a source row's event time and
timestamps exactly one TTL after one (the half-open window's excluded edge).

    python bench/generate.py [DATA_DIR] --sizes 100k,1m

Files that already exist are skipped; the same seed always gives the same bytes of data.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SEED = 20240601
BASE_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
DAY_US = 86_400 * 1_000_000
SPAN_US = 90 * DAY_US
N_KEYS = 100_000
ROW_GROUP = 131_072
TTL_A_US = 30 * DAY_US  # keep in sync with bench/features/features.py
TTL_B_US = 7 * DAY_US
DEFAULT_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Size:
    """One benchmark size: spine rows and rows per feature view source."""

    label: str
    spine_rows: int
    source_rows: int


SIZES: dict[str, Size] = {
    "10k": Size("10k", 10_000, 100_000),
    "100k": Size("100k", 100_000, 1_000_000),
    "1m": Size("1m", 1_000_000, 10_000_000),
}
VIEWS: dict[str, tuple[str, tuple[str, ...], int]] = {
    # file stem: (key column, feature names in declaration order, seed offset)
    "view_a": ("user_id", ("a_amount", "a_count", "a_category", "a_flag", "a_score"), 1),
    "view_b": ("merchant_id", ("b_rating", "b_txn_count", "b_country", "b_is_online", "b_risk"), 2),
}


def _rng(size: Size, offset: int) -> np.random.Generator:
    return np.random.default_rng([SEED, offset, size.source_rows])


def _nullify(rng: np.random.Generator, array: pa.Array, share: float) -> pa.Array:
    """``array`` with a random ``share`` of its values set to NULL."""
    mask = pa.array(rng.random(len(array)) < share)
    return pc.if_else(mask, pa.nulls(len(array), array.type), array)


def _timestamps(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, type=pa.timestamp("us", tz="UTC"), mask=null_mask)


def source_table(size: Size, stem: str) -> pa.Table:
    """Rows of one feature view's source, sorted by event time (as an append log would be)."""
    key_col, names, offset = VIEWS[stem]
    rng = _rng(size, offset)
    n = size.source_rows
    keys = rng.integers(0, N_KEYS, n, dtype=np.int64)
    # Whole seconds, so that spine rows copied from these times meet them exactly.
    ts = BASE_US + rng.integers(0, SPAN_US // 1_000_000, n, dtype=np.int64) * 1_000_000
    created = ts + rng.integers(0, 2 * DAY_US, n, dtype=np.int64)
    # 3% of rows share (key, event_ts) with another row: created_ts breaks the tie.
    dup = rng.choice(n, n * 3 // 100, replace=False)
    src = rng.integers(0, n, len(dup))
    keys[dup], ts[dup] = keys[src], ts[src]
    created[dup] = ts[dup] + rng.integers(0, 2 * DAY_US, len(dup), dtype=np.int64)
    # 1% share (key, event_ts, created_ts): the features break the tie.
    full = rng.choice(n, n // 100, replace=False)
    full_src = rng.integers(0, n, len(full))
    keys[full], ts[full], created[full] = keys[full_src], ts[full_src], created[full_src]
    created_null = rng.random(n) < 0.005
    ts_null = rng.random(n) < 0.0005  # a few rows without an event time: never visible

    vocabulary = pa.array([f"{stem[-1]}_{i:03d}" for i in range(200)])
    columns: dict[str, pa.Array] = {
        names[0]: pa.array(np.round(rng.gamma(2.0, 50.0, n), 2)),
        names[1]: pa.array(rng.integers(0, 50, n, dtype=np.int64)),
        names[2]: vocabulary.take(pa.array(rng.integers(0, len(vocabulary), n))),
        names[3]: pa.array(rng.random(n) < 0.3),
        names[4]: pa.array(rng.random(n)),
    }
    columns = {name: _nullify(rng, arr, 0.01) for name, arr in columns.items()}
    # Half the full ties also share their first two features: later features decide those.
    half = len(full) // 2
    lead = np.arange(n)
    lead[full[:half]] = full_src[:half]
    for name in names[:2]:
        columns[name] = columns[name].take(pa.array(lead))
    # 0.2% of rows are exact copies of another row (every column equal).
    copies = rng.choice(n, n // 500, replace=False)
    src = rng.integers(0, n, len(copies))
    keys[copies], ts[copies], created[copies] = keys[src], ts[src], created[src]
    created_null[copies] = created_null[src]
    take = np.arange(n)
    take[copies] = src
    columns = {name: arr.take(pa.array(take)) for name, arr in columns.items()}

    order = np.lexsort((rng.random(n), ts))  # event-time order, ties in random order
    table = pa.table({
        key_col: pa.array(keys),
        "event_ts": _timestamps(ts, ts_null),
        "created_ts": _timestamps(created, created_null),
        **columns,
    })
    return table.take(pa.array(order))


def spine_table(size: Size, view_a: pa.Table, view_b: pa.Table) -> pa.Table:
    """The spine: random order, edge cases mixed into uniformly random (key, time) rows."""
    rng = _rng(size, 0)
    n = size.spine_rows
    users = rng.integers(0, N_KEYS * 105 // 100, n, dtype=np.int64)  # ~5% unknown keys
    merchants = rng.integers(0, N_KEYS * 105 // 100, n, dtype=np.int64)
    ts = BASE_US + rng.integers(0, SPAN_US, n, dtype=np.int64)
    a_ts = pc.fill_null(view_a.column("event_ts").cast(pa.int64()), BASE_US).to_numpy()
    b_ts = pc.fill_null(view_b.column("event_ts").cast(pa.int64()), BASE_US).to_numpy()
    a_key = view_a.column("user_id").to_numpy()
    b_key = view_b.column("merchant_id").to_numpy()
    picks = rng.permutation(n)
    cuts = np.cumsum([n * 3 // 100, n * 3 // 100, n // 100, n // 100])
    exact_a, exact_b, edge_a, edge_b, _ = np.split(picks, cuts)
    for rows, keys_out, src_key, src_ts, shift in (
        (exact_a, users, a_key, a_ts, 0), (exact_b, merchants, b_key, b_ts, 0),
        (edge_a, users, a_key, a_ts, TTL_A_US), (edge_b, merchants, b_key, b_ts, TTL_B_US),
    ):
        src = rng.integers(0, len(src_key), len(rows))
        keys_out[rows] = src_key[src]
        ts[rows] = src_ts[src] + shift
    label = (rng.random(n) < 0.1).astype(np.int64)
    # 0.5% of rows repeat another spine row entirely (labels included).
    dup = rng.choice(n, n // 200, replace=False)
    src = rng.integers(0, n, len(dup))
    for column in (users, merchants, ts, label):
        column[dup] = column[src]
    user_null = rng.random(n) < 0.003
    merchant_null = rng.random(n) < 0.003
    ts_null = rng.random(n) < 0.001
    return pa.table({
        "user_id": pa.array(users, mask=user_null),
        "merchant_id": pa.array(merchants, mask=merchant_null),
        "event_timestamp": _timestamps(ts, ts_null),
        "label": pa.array(label),
    })


def write(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically (a temp file renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="snappy")
    tmp.replace(path)


def generate(data_dir: Path, size: Size) -> None:
    """Write the spine and both sources of ``size`` under ``data_dir/<label>``, skipping files
    that exist."""
    out = data_dir / size.label
    out.mkdir(parents=True, exist_ok=True)
    paths = {stem: out / f"{stem}.parquet" for stem in (*VIEWS, "spine")}
    tables: dict[str, pa.Table] = {}
    for stem, (key_col, _, _) in VIEWS.items():
        if paths[stem].exists():
            print(f"skip {paths[stem]} (exists)")
            if not paths["spine"].exists():
                tables[stem] = pq.read_table(paths[stem], columns=[key_col, "event_ts"])
            continue
        started = time.perf_counter()
        tables[stem] = source_table(size, stem)
        write(tables[stem], paths[stem])
        print(f"wrote {paths[stem]}: {size.source_rows:,} rows, "
              f"{time.perf_counter() - started:.1f} s")
    if paths["spine"].exists():
        print(f"skip {paths['spine']} (exists)")
        return
    started = time.perf_counter()
    write(spine_table(size, tables["view_a"], tables["view_b"]), paths["spine"])
    print(f"wrote {paths['spine']}: {size.spine_rows:,} rows, "
          f"{time.perf_counter() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate.py [DATA_DIR] [--sizes 100k,1m]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA,
                        help=f"output directory (default: {DEFAULT_DATA})")
    parser.add_argument("--sizes", default="100k,1m",
                        help=f"comma-separated sizes among {', '.join(SIZES)} (default: 100k,1m)")
    args = parser.parse_args(argv)
    labels = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose among {', '.join(SIZES)}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    ignore = args.data_dir / ".gitignore"
    if not ignore.exists():  # everything generated stays out of git, this file included
        ignore.write_text("*\n")
    for label in labels:
        generate(args.data_dir, SIZES[label])
    return 0


if __name__ == "__main__":
    sys.exit(main())
