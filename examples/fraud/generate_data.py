"""Generate the fraud example's data: deterministic (fixed seed), offline, well under 5 s.

    python examples/fraud/generate_data.py                 # writes examples/fraud/data/
    python examples/fraud/generate_data.py --users 200 --merchants 40 --transactions 2000

Writes four Parquet files into the output directory (all timestamps are UTC instants):

- ``user_profile.parquet``: KYC profile rows, one on sign-up and one per later change;
- ``user_risk.parquet``: nightly risk scores, only for users active that day (gaps > 7 days
  happen, so the 7-day TTL leaves some transactions without a score);
- ``merchant_stats.parquet``: daily 30-day aggregates per merchant (two days lost to an outage);
- ``transactions.parquet``: the spine, one labelled transaction per row.

The data has the mess real pipelines have: rows that landed days late (``created_at`` long
after the event time), restated rows (same event time, later ``created_at``), a few NULL
feature values, merchants onboarded during the period, users signing up during it, and
transactions of users the feature tables do not know (guest checkouts).

Running it twice with the same arguments writes byte-identical files. numpy and pyarrow are
imported inside the functions: ``fsql`` imports every ``.py`` file of the repository (this one
included) on each command, which should stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

SEED = 7
START = datetime(2024, 5, 1, tzinfo=UTC)  # first transaction day
MINUTE = 60 * 1_000_000  # microseconds
HOUR = 60 * MINUTE
DAY = 24 * HOUR
UNKNOWN_USER_BASE = 9_000_000  # ids of guest checkouts: never in the feature tables
FILES = ("user_profile.parquet", "user_risk.parquet", "merchant_stats.parquet",
         "transactions.parquet")

COUNTRIES = ("DE", "FR", "GB", "ES", "IT", "NL", "PL", "US", "BR", "NG")
COUNTRY_WEIGHTS = (0.24, 0.16, 0.14, 0.1, 0.09, 0.07, 0.06, 0.08, 0.03, 0.03)
CATEGORIES = ("grocery", "restaurants", "fashion", "electronics", "travel", "gaming",
              "digital_goods", "gift_cards")
CATEGORY_WEIGHTS = (0.22, 0.2, 0.16, 0.12, 0.1, 0.08, 0.07, 0.05)
CATEGORY_FRAUD = (0.004, 0.005, 0.01, 0.025, 0.02, 0.035, 0.04, 0.07)
CREDIT_LIMITS = (500_00, 1_000_00, 2_500_00, 5_000_00, 10_000_00)  # cents


def _timestamps(micros: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return pa.array(micros.astype("int64"), type=pa.timestamp("us", tz="UTC"))


def _with_nulls(values: np.ndarray, nulls: np.ndarray, type_: pa.DataType) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, type=type_, mask=nulls)


def _created(rng: np.random.Generator, event: np.ndarray, *, typical_minutes: float,
             late_share: float, late_days: tuple[float, float]) -> np.ndarray:
    """When rows landed: minutes after the event, or days after it for a ``late_share``."""
    import numpy as np

    lag = rng.exponential(typical_minutes * MINUTE, event.size).astype(np.int64) + MINUTE
    late = rng.random(event.size) < late_share
    lag[late] = (rng.uniform(*late_days, late.sum()) * DAY).astype(np.int64)
    return event + lag


def _write(table: pa.Table, path: Path) -> None:
    """Write atomically, so an interrupted run never leaves half a file behind."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _restate(rng: np.random.Generator, columns: dict[str, np.ndarray], share: float,
             created: str) -> dict[str, np.ndarray]:
    """Append corrected copies of a ``share`` of rows: same event time, created 6 h later."""
    import numpy as np

    pick = np.flatnonzero(rng.random(columns[created].size) < share)
    out = {name: np.concatenate([values, values[pick]]) for name, values in columns.items()}
    if pick.size:
        out[created][-pick.size:] += 6 * HOUR
    return out


def generate(out_dir: str | Path, *, users: int = 2000, merchants: int = 300,
             transactions: int = 20_000, days: int = 60, seed: int = SEED) -> dict[str, int]:
    """Write the example's Parquet files into ``out_dir``; return the row count of each file."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if min(users, merchants, transactions) < 10 or days < 14:
        raise ValueError("need at least 10 users, merchants and transactions and 14 days")
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = int(START.timestamp()) * 1_000_000
    end = start + days * DAY

    # -- users: latent traits ---------------------------------------------------------
    user_ids = np.arange(1, users + 1, dtype=np.int64)
    signup = start - (rng.uniform(1, 3 * 365, users) * DAY).astype(np.int64)
    newcomer = rng.random(users) < 0.05  # sign up during the period
    signup[newcomer] = start + (rng.uniform(0, days - 7, newcomer.sum()) * DAY).astype(np.int64)
    latent_risk = rng.beta(1.3, 9.0, users)
    countries = np.array(COUNTRIES)
    home = rng.choice(countries, users, p=COUNTRY_WEIGHTS)
    verified_at = signup + rng.exponential(20 * DAY, users).astype(np.int64)
    verified_at[rng.random(users) < 0.15] = np.iinfo(np.int64).max  # never verified
    base_limit = rng.choice(CREDIT_LIMITS, users, p=[0.3, 0.3, 0.2, 0.15, 0.05])

    # -- user_profile: a row on sign-up, then 1 + Poisson(1.5) changes --------------------
    changes = 1 + rng.poisson(1.5, users)
    owner = np.repeat(np.arange(users), changes)
    low = np.maximum(signup, start - 300 * DAY)[owner]
    changed_at = low + (rng.random(owner.size) * (end - low)).astype(np.int64)
    who = np.concatenate([np.arange(users), owner])
    updated_at = np.concatenate([signup, changed_at])
    age_days = (updated_at - signup[who]) // DAY
    country = home[who].copy()
    moved = np.zeros(who.size, dtype=bool)
    moved[users:] = rng.random(owner.size) < 0.02
    country[moved] = rng.choice(countries, moved.sum())
    limit_cents = np.minimum(base_limit[who] * 2 ** np.minimum(age_days // 365, 3), 20_000_00)
    profile = _restate(rng, {
        "user_id": user_ids[who], "updated_at": updated_at,
        "created_at": _created(rng, updated_at, typical_minutes=20, late_share=0.03,
                               late_days=(1, 10)),
        "account_age_days": age_days, "country": country,
        "is_verified": updated_at >= verified_at[who], "credit_limit": limit_cents,
    }, share=0.01, created="created_at")
    order = np.lexsort((profile["created_at"], profile["user_id"], profile["updated_at"]))
    profile = {name: values[order] for name, values in profile.items()}
    n = order.size
    _write(pa.table({
        "user_id": pa.array(profile["user_id"], pa.int64()),
        "updated_at": _timestamps(profile["updated_at"]),
        "created_at": _timestamps(profile["created_at"]),
        "account_age_days": pa.array(profile["account_age_days"], pa.int64()),
        "country": _with_nulls(profile["country"], rng.random(n) < 0.01, pa.string()),
        "is_verified": pa.array(profile["is_verified"], pa.bool_()),
        "credit_limit": pa.array(
            [None if rng_null else Decimal(int(c)).scaleb(-2)
             for c, rng_null in zip(profile["credit_limit"], rng.random(n) < 0.015,
                                    strict=True)],
            pa.decimal128(12, 2)),
    }), out / "user_profile.parquet")

    # -- user_risk: nightly scores for users active that day (p = 0.35) -------------------
    day_index = np.arange(-14, days)
    active = rng.random((users, day_index.size)) < 0.35
    u_idx, d_idx = np.nonzero(active)
    scored_at = start + day_index[d_idx] * DAY + 3 * HOUR \
        + rng.integers(0, 2 * HOUR, u_idx.size)
    keep = scored_at >= signup[u_idx]
    u_idx, scored_at = u_idx[keep], scored_at[keep]
    risk = _restate(rng, {
        "user_id": user_ids[u_idx], "scored_at": scored_at,
        "created_at": _created(rng, scored_at, typical_minutes=15, late_share=0.02,
                               late_days=(1, 5)),
        "risk_score": np.round(np.clip(latent_risk[u_idx] + rng.normal(0, 0.04, u_idx.size),
                                       0, 1), 4),
        "chargebacks_90d": rng.poisson(latent_risk[u_idx] * 4),
    }, share=0.005, created="created_at")
    restated = np.arange(risk["risk_score"].size) >= u_idx.size
    risk["risk_score"][restated] = np.round(np.clip(
        risk["risk_score"][restated] + rng.normal(0, 0.05, restated.sum()), 0, 1), 4)
    order = np.lexsort((risk["created_at"], risk["user_id"], risk["scored_at"]))
    risk = {name: values[order] for name, values in risk.items()}
    _write(pa.table({
        "user_id": pa.array(risk["user_id"], pa.int64()),
        "scored_at": _timestamps(risk["scored_at"]),
        "created_at": _timestamps(risk["created_at"]),
        "risk_score": _with_nulls(risk["risk_score"], rng.random(order.size) < 0.005,
                                  pa.float64()),
        "chargebacks_90d": pa.array(risk["chargebacks_90d"], pa.int64()),
    }), out / "user_risk.parquet")

    # -- merchants: daily 30-day aggregates, two days lost to an outage -------------------
    merchant_ids = np.arange(1, merchants + 1, dtype=np.int64)
    category = rng.choice(len(CATEGORIES), merchants, p=CATEGORY_WEIGHTS)
    latent_fraud = np.array(CATEGORY_FRAUD)[category] * rng.lognormal(0, 0.5, merchants)
    onboard = start - (rng.uniform(30, 2 * 365, merchants) * DAY).astype(np.int64)
    late_joiner = rng.random(merchants) < 0.1
    onboard[late_joiner] = start + (rng.uniform(-30, days - 10, late_joiner.sum())
                                    * DAY).astype(np.int64)
    volume = rng.lognormal(5, 1, merchants)
    ticket = rng.lognormal(3.3, 0.5, merchants)
    stat_days = np.setdiff1d(np.arange(-30, days), rng.choice(days, 2, replace=False))
    m_idx, d_idx = np.nonzero(np.ones((merchants, stat_days.size), dtype=bool))
    as_of = start + stat_days[d_idx] * DAY
    keep = as_of >= onboard[m_idx]
    m_idx, as_of = m_idx[keep], as_of[keep]
    history = np.minimum((as_of - onboard[m_idx]) / DAY, 30)
    count = rng.poisson(volume[m_idx] * history / 30)
    frauds = rng.binomial(count, np.minimum(latent_fraud[m_idx], 1))
    _write(pa.table({
        "merchant_id": pa.array(merchant_ids[m_idx], pa.int64()),
        "as_of": _timestamps(as_of),
        "created_at": _timestamps(as_of + HOUR + rng.integers(0, 2 * HOUR, m_idx.size)),
        "category": pa.array(np.array(CATEGORIES)[category[m_idx]], pa.string()),
        "fraud_rate_30d": _with_nulls(np.round(frauds / np.maximum(count, 1), 5),
                                      history < 7, pa.float64()),
        "txn_count_30d": pa.array(count, pa.int64()),
        "avg_amount_30d": pa.array(np.round(ticket[m_idx] * rng.lognormal(0, 0.1, m_idx.size),
                                            2), pa.float64()),
    }), out / "merchant_stats.parquet")

    # -- transactions (the spine) -----------------------------------------------------------
    guests = max(1, transactions // 100)
    known = transactions - guests
    activity = rng.lognormal(0, 1, users)
    t_user = rng.choice(users, known, p=activity / activity.sum())
    first = np.maximum(start, signup[t_user])
    t_ts = first + (rng.random(known) * (end - first)).astype(np.int64)
    guest_ts = start + (rng.random(guests) * (end - start)).astype(np.int64)
    ts = np.concatenate([t_ts, guest_ts])
    uid = np.concatenate([user_ids[t_user],
                          UNKNOWN_USER_BASE + rng.integers(0, 100_000, guests)])
    risk_of = np.concatenate([latent_risk[t_user], np.full(guests, 0.35)])
    popularity = 1 / np.arange(1, merchants + 1) ** 0.8
    t_merchant = rng.choice(merchants, transactions, p=popularity / popularity.sum())
    established = np.flatnonzero(onboard < start)
    too_early = onboard[t_merchant] > ts
    t_merchant[too_early] = rng.choice(established, too_early.sum())
    amount = np.round(rng.lognormal(3.3, 1.1, transactions), 2)
    logit = (-6.3 + 9 * risk_of + 25 * latent_fraud[t_merchant]
             + 0.4 * np.log(amount / 30))
    is_fraud = rng.random(transactions) < 1 / (1 + np.exp(-logit))
    order = np.argsort(ts, kind="stable")
    _write(pa.table({
        "transaction_id": pa.array([f"tx_{i:07d}" for i in range(1, transactions + 1)]),
        "user_id": pa.array(uid[order], pa.int64()),
        "merchant_id": pa.array(merchant_ids[t_merchant[order]], pa.int64()),
        "event_timestamp": _timestamps(ts[order]),
        "amount": pa.array(amount[order], pa.float64()),
        "is_fraud": pa.array(is_fraud[order], pa.bool_()),
    }), out / "transactions.parquet")

    return {name: pq.read_metadata(out / name).num_rows for name in FILES}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python generate_data.py [--out DIR] [--users N] ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "data"),
                        help="output directory (default: data/ next to this file)")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = generate(args.out, users=args.users, merchants=args.merchants,
                      transactions=args.transactions, days=args.days, seed=args.seed)
    for name, rows in counts.items():
        print(f"wrote {Path(args.out) / name}: {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
