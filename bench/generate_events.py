"""Deterministic benchmark data for windowed aggregations, written as Parquet.

Layout, for each shape (``uniform``, ``zipf``) and size (``small``: 1M events x 100k spine
rows; ``full``: 10M events x 1M spine rows)::

    <data>/agg/<shape>-<size>/events.parquet  user_id, event_ts, created_ts, amount, merchant_id
    <data>/agg/<shape>-<size>/spine.parquet   user_id, event_timestamp, label

Everything spans 90 days and 100k keys (``user_id``). ``uniform`` draws keys uniformly;
``zipf`` draws key ranks from a Zipf law with exponent 1.2 truncated to 100k keys (the hottest
key holds ~19.6% of the rows: ~2M events of 10M), ranks mapped to key ids by a fixed random
permutation. The spine's keys follow the same law as the events' (hot keys are hot in both).

Events (sorted by event time, as an append log): millisecond event times, 0.05% NULL; created
= event time + up to 1 h, 0.5% NULL; 2% of events share (key, event time) with another event
(created breaks the tie) and 0.5% share (key, event time, created) too (the value breaks it);
``amount`` gamma(2, 50) rounded to cents, 2% NULL; ``merchant_id`` uniform over 50k, 1% NULL.

Spine (random order): microsecond times uniform over the 90 days; 3% of rows at exactly an
event's (key, time) (the inclusive upper edge) and 1% at an event's time + w for each window w
of the benchmark (10m, 24h, 7d, 30d: the excluded lower edge); ~2% unknown keys, 0.3% NULL
keys, 0.1% NULL times; ``label`` 0/1.

    python bench/generate_events.py [DATA_DIR] --shapes uniform,zipf --sizes small,full

Files that already exist are skipped; the same seed always gives the same data.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240917
BASE_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
MINUTE_US = 60 * 1_000_000
DAY_US = 86_400 * 1_000_000
SPAN_US = 90 * DAY_US
N_KEYS = 100_000
N_MERCHANTS = 50_000
ZIPF_EXPONENT = 1.2
ROW_GROUP = 131_072
# Keep in sync with bench/agg_features/features.py (the spine's lower-edge rows use them).
WINDOWS_US = (10 * MINUTE_US, DAY_US, 7 * DAY_US, 30 * DAY_US)
DEFAULT_DATA = Path(__file__).resolve().parent / "data"
SHAPES = ("uniform", "zipf")


@dataclass(frozen=True)
class Size:
    """One benchmark size: event rows and spine rows."""

    label: str
    events: int
    spine_rows: int


SIZES: dict[str, Size] = {
    "small": Size("small", 1_000_000, 100_000),
    "full": Size("full", 10_000_000, 1_000_000),
}


def dataset_dir(data_dir: Path, shape: str, size: str) -> Path:
    """The folder of one (shape, size) data set."""
    return data_dir / "agg" / f"{shape}-{size}"


def _rng(shape: str, size: Size, part: int) -> np.random.Generator:
    return np.random.default_rng([SEED, SHAPES.index(shape), size.events, part])


def key_sampler(shape: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(key id of each rank, cumulative probability of each rank or None for uniform)."""
    perm = np.random.default_rng([SEED, 99]).permutation(N_KEYS).astype(np.int64)
    if shape == "uniform":
        return perm, None
    weights = np.arange(1, N_KEYS + 1, dtype=np.float64) ** -ZIPF_EXPONENT
    cdf = np.cumsum(weights)
    return perm, cdf / cdf[-1]


def draw_keys(rng: np.random.Generator, shape: str, n: int) -> np.ndarray:
    """``n`` key ids drawn from the shape's key law."""
    perm, cdf = key_sampler(shape)
    if cdf is None:
        ranks = rng.integers(0, N_KEYS, n, dtype=np.int64)
    else:
        ranks = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), N_KEYS - 1)
    return perm[ranks]


def _timestamps(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, type=pa.timestamp("us", tz="UTC"), mask=null_mask)


def events_table(shape: str, size: Size) -> pa.Table:
    """The events, sorted by event time (NULL times last)."""
    rng = _rng(shape, size, 1)
    n = size.events
    keys = draw_keys(rng, shape, n)
    ts = BASE_US + rng.integers(0, SPAN_US // 1_000, n, dtype=np.int64) * 1_000
    created = ts + rng.integers(0, 60 * MINUTE_US, n, dtype=np.int64)
    amount = np.round(rng.gamma(2.0, 50.0, n), 2)
    merchant = rng.integers(0, N_MERCHANTS, n, dtype=np.int64)
    # 2% share (key, event time) with another event; a quarter of those share created too.
    tied = rng.choice(n, n // 50, replace=False)
    src = rng.integers(0, n, len(tied))
    keys[tied], ts[tied] = keys[src], ts[src]
    full = tied[: len(tied) // 4]
    created[full] = created[src[: len(full)]]
    ts_null = rng.random(n) < 0.0005
    created_null = rng.random(n) < 0.005
    amount_null = rng.random(n) < 0.02
    merchant_null = rng.random(n) < 0.01
    order = np.lexsort((rng.random(n), ts, ts_null))
    table = pa.table({
        "user_id": pa.array(keys),
        "event_ts": _timestamps(ts, ts_null),
        "created_ts": _timestamps(created, created_null),
        "amount": pa.array(amount, mask=amount_null),
        "merchant_id": pa.array(merchant, mask=merchant_null),
    })
    return table.take(pa.array(order))


def spine_table(shape: str, size: Size, events: pa.Table) -> pa.Table:
    """The spine: random order, edge cases mixed into (key law, uniform time) rows."""
    rng = _rng(shape, size, 0)
    n = size.spine_rows
    keys = draw_keys(rng, shape, n)
    ts = BASE_US + rng.integers(0, SPAN_US, n, dtype=np.int64)
    ev_key = events.column("user_id").to_numpy()
    ev_ts = events.column("event_ts").cast(pa.int64()).fill_null(BASE_US).to_numpy()
    picks = rng.permutation(n)
    cuts = np.cumsum([n * 3 // 100] + [n // 100] * len(WINDOWS_US))
    groups = np.split(picks, cuts)
    for rows, shift in zip(groups, (0, *WINDOWS_US), strict=False):
        src = rng.integers(0, len(ev_key), len(rows))
        keys[rows] = ev_key[src]
        ts[rows] = ev_ts[src] + shift
    unknown = rng.random(n) < 0.02
    keys[unknown] = N_KEYS + rng.integers(0, N_KEYS, int(unknown.sum()), dtype=np.int64)
    key_null = rng.random(n) < 0.003
    ts_null = rng.random(n) < 0.001
    label = (rng.random(n) < 0.1).astype(np.int64)
    return pa.table({
        "user_id": pa.array(keys, mask=key_null),
        "event_timestamp": _timestamps(ts, ts_null),
        "label": pa.array(label),
    })


def write(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically (a temp file renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="snappy")
    tmp.replace(path)


def generate(data_dir: Path, shape: str, size: Size) -> Path:
    """Write the events and spine of (shape, size), skipping files that exist; return the
    folder."""
    out = dataset_dir(data_dir, shape, size.label)
    out.mkdir(parents=True, exist_ok=True)
    events_path, spine_path = out / "events.parquet", out / "spine.parquet"
    if events_path.exists() and spine_path.exists():
        print(f"skip {out} (exists)")
        return out
    started = time.perf_counter()
    if events_path.exists():
        events = pq.read_table(events_path, columns=["user_id", "event_ts"])
    else:
        events = events_table(shape, size)
        write(events, events_path)
        print(f"wrote {events_path}: {size.events:,} rows, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    write(spine_table(shape, size, events), spine_path)
    print(f"wrote {spine_path}: {size.spine_rows:,} rows, "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return out


def _split(text: str, allowed: tuple[str, ...] | dict[str, Size], what: str,
           parser: argparse.ArgumentParser) -> list[str]:
    items = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in items if s not in allowed]
    if unknown:
        parser.error(f"unknown {what} {unknown}; choose among {', '.join(allowed)}")
    return items


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate_events.py [DATA_DIR] [--shapes ...] [--sizes ...]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA,
                        help=f"output directory (default: {DEFAULT_DATA})")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help="comma-separated shapes among uniform, zipf (default: both)")
    parser.add_argument("--sizes", default="small,full",
                        help="comma-separated sizes among small, full (default: both)")
    args = parser.parse_args(argv)
    shapes = _split(args.shapes, SHAPES, "shapes", parser)
    sizes = _split(args.sizes, SIZES, "sizes", parser)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    ignore = args.data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    for size in sizes:
        for shape in shapes:
            generate(args.data_dir, shape, SIZES[size])
    return 0


if __name__ == "__main__":
    sys.exit(main())
