"""What differs per warehouse in materialization statements, as one table: a reader diffs
two rows of :data:`STYLES` to see every difference between two dialects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fsql.errors import UnsupportedError
from fsql.sql.dialect import Dialect


@dataclass(frozen=True)
class MergeStyle:
    """How a dialect runs one view's statements."""

    transaction: bool  # BEGIN ... COMMIT around state + rows read + new rows + MERGE + state
    staged: bool  # the new rows go to a temporary table first (else: the MERGE's source)
    # How the latest table is keyed: an enforced PRIMARY KEY, or CLUSTER BY the join keys
    # where primary keys are informational only.
    keys: Literal["primary_key", "cluster_by"]
    # The transaction statements spelled out (BEGIN TRANSACTION / COMMIT TRANSACTION).
    transaction_words: bool = False
    # One connection runs every view of a run: drop the temporary tables after each view.
    drop_temporary: bool = False


STYLES: dict[str, MergeStyle] = {
    # https://duckdb.org/docs/stable/sql/statements/transactions (DDL is transactional too);
    # https://duckdb.org/docs/stable/sql/statements/merge_into
    "duckdb": MergeStyle(transaction=True, staged=True, keys="primary_key",
                         drop_temporary=True),
    # https://cloud.google.com/bigquery/docs/transactions: DML and temporary tables inside
    # BEGIN TRANSACTION ... COMMIT TRANSACTION; DDL on permanent tables is not allowed there.
    # https://cloud.google.com/bigquery/docs/clustered-tables
    "bigquery": MergeStyle(transaction=True, staged=True, keys="cluster_by",
                           transaction_words=True),
    # https://docs.snowflake.com/en/sql-reference/sql/merge: one MERGE is atomic. fakesnow
    # cannot run a MERGE inside an explicit transaction; the state row is written before
    # (unfinished) and marked finished after it (docs/materialization.md, "Guarantees").
    # https://docs.snowflake.com/en/user-guide/tables-clustering-keys
    "snowflake": MergeStyle(transaction=False, staged=False, keys="cluster_by"),
}


def style(dialect: Dialect) -> MergeStyle:
    """The dialect's merge style, or an error naming the dialects that have one."""
    if dialect.name not in STYLES:
        raise UnsupportedError(
            f"fsql writes materialization statements for {', '.join(STYLES)}, not "
            f"{dialect.name}")
    return STYLES[dialect.name]
