"""A feature repository: its definitions (:class:`~fsql.dsl.catalog.Catalog`) and the
requests made of them (plan, compile, run on embedded DuckDB)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlglot import exp

from fsql.dsl.catalog import Catalog
from fsql.dsl.loading import load_into
from fsql.engines.files import DuckDBFiles
from fsql.engines.runner import run_training_set
from fsql.errors import CompileError, DefinitionError
from fsql.materialize.run import materialize
from fsql.materialize.target_run import warehouse_training_set
from fsql.online.server import OnlineServer
from fsql.online.serving import OnlineResponse
from fsql.plan.nodes import Cut, PointInTimePlan, SpineRef
from fsql.plan.planner import build_plan, spine_ref
from fsql.plan.schemas import Target
from fsql.sql.compiler import compile_plan, render_plan
from fsql.sql.dialect import get_dialect


class Repo(Catalog):
    """Definitions collected from a feature repository, and the requests made of them.

    >>> repo = Repo.load("examples/fraud")            # doctest: +SKIP
    >>> sql = repo.compile("fraud_v1", spine="spine.parquet", dialect="duckdb")  # doctest: +SKIP
    """

    @classmethod
    def load(cls, directory: str | Path) -> Repo:
        """Import the ``.py`` files under ``directory`` and collect their definitions.

        Skipped: dot-directories, ``DEFAULT_EXCLUDE`` (tests, data, virtual environments...)
        and the globs of ``[project] exclude`` in ``fsql.toml`` and of ``.fsqlignore``. What
        definition files print goes to stderr: stdout stays the compiled SQL.
        """
        repo = cls(root=Path(directory).resolve())
        load_into(repo, directory)
        config = repo.root / "fsql.toml"
        for dialect in [repo.default_dialect, *(e.dialect for e in repo.environments.values()
                                                if e.dialect)]:
            try:
                get_dialect(dialect)
            except CompileError as err:
                raise DefinitionError(f"{config}: {err}") from None
        return repo

    def plan(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             dialect: str | None = None, env: str | None = None,
             spine_timestamp: str = "event_timestamp", cut: Cut | None = None,
             created_cutoff: bool = False, full_names: bool = False,
             spine_types: Mapping[str, str] | None = None,
             serving_lag: timedelta | str | None = None) -> PointInTimePlan:
        """The validated plan of a training-set request for ``dialect`` (which decides, with
        ``env``, whether sources are read from their files or their tables).

        ``spine_types`` (column -> DuckDB type name) types a spine whose columns are known
        otherwise than from a file (the local runner's loaded spine)."""
        target = get_dialect(self.dialect_for(dialect, env))
        files = DuckDBFiles()
        ref = spine if isinstance(spine, SpineRef) else spine_ref(
            spine, schemas=files, timestamp_column=spine_timestamp, root=self.root)
        return build_plan(self, features, ref,
                          target=Target(target.name, target.reads_local_files), schemas=files,
                          env=env, cut=cut, created_cutoff=created_cutoff,
                          full_names=full_names, spine_types=spine_types,
                          serving_lag=serving_lag)

    def tree(self, features: str | Sequence[Any], spine: str | SpineRef, *,
             dialect: str | None = None, env: str | None = None,
             **options: Any) -> exp.Expr:
        """The sqlglot tree of the training-set query for ``dialect``.

        >>> Repo.load("examples/fraud").tree(  # doctest: +SKIP
        ...     "fraud_detection", "db.schema.spine", dialect="snowflake")
        """
        name = self.dialect_for(dialect, env)
        target = get_dialect(name)  # an unknown dialect fails before any file is read
        return compile_plan(self.plan(features, spine, dialect=name, env=env, **options), target)

    def compile(self, features: str | Sequence[Any], spine: str | SpineRef, *,
                dialect: str | None = None, env: str | None = None, **options: Any) -> str:
        """One self-contained query (text) that returns the training set. It starts with a
        comment naming the request, and is the same text on every machine: local files are
        named relative to the repository root (DuckDB: run it with ``SET file_search_path``
        to the root, as ``fsql run`` does).

        >>> Repo.load("examples/fraud").compile(  # doctest: +SKIP
        ...     "fraud_detection", "project.dataset.spine", dialect="bigquery")
        """
        name = self.dialect_for(dialect, env)
        target = get_dialect(name)
        return render_plan(self.plan(features, spine, dialect=name, env=env, **options), target)

    def get_historical_features(self, features: str | Sequence[Any], spine: Any, *,
                                arrow: bool = False, target: str | None = None,
                                **options: Any) -> Any:
        """Run the request on embedded DuckDB; ``spine`` is a DataFrame, Arrow table, a
        .parquet/.csv file or a SELECT query (run on DuckDB, relative paths from the
        repository root). Options as :meth:`plan` (``env``, ``cut``, ``full_names``...),
        plus ``memory_limit="4GB"``.

        With ``target`` (a ``bigquery://`` or ``snowflake://`` URL or a ``[targets.NAME]``
        profile) the warehouse computes it, as ``fsql run --target`` does: a DataFrame, Arrow
        table or file spine is uploaded to a table that expires (the result in its order), a
        table name or SELECT query is run in place (docs/targets.md); ``progress=True``
        prints each query's state to stderr.

        Returns a pandas DataFrame (an Arrow table with ``arrow=True``) in the spine's order.

        >>> Repo.load("examples/fraud").get_historical_features(  # doctest: +SKIP
        ...     "fraud_detection", "examples/fraud/data/transactions.parquet")
        """
        if target is not None:
            if options.pop("memory_limit", None) is not None:
                raise CompileError("get_historical_features: memory_limit limits embedded "
                                   f"DuckDB; the {target!r} warehouse computes this request "
                                   "(drop memory_limit or target)")
            shown = _print_to_stderr if options.pop("progress", False) else None
            table, _ = warehouse_training_set(self, features, spine, target=target,
                                              progress=shown, **options)
            return table if arrow else table.to_pandas()
        return run_training_set(self, features, spine, arrow=arrow, **options)

    def materialize(self, views: Sequence[str] | str | None = None, *,
                    service: str | None = None, end: Any = None, target: str | None = None,
                    full_refresh: bool = False, **options: Any) -> Any:
        """Bring the latest tables of ``views`` (or of ``service``'s views; default: every
        view with entities) up to date as of ``end`` (default: now) on ``target`` (default
        ``duckdb:///fsql_store.duckdb`` in the repository). Returns a report with, per view,
        the rows inserted/updated/deleted, the seconds and the new watermark
        (docs/materialization.md).

        >>> Repo.load("examples/fraud").materialize(["user_risk"],   # doctest: +SKIP
        ...                                         end="2024-06-01")
        """
        return materialize(self, views=views, service=service, end=end, target=target,
                           full_refresh=full_refresh, **options)

    def get_online_features(self, features: str | Sequence[Any],
                            entity_rows: Sequence[Mapping[str, Any]], *,
                            at: datetime | None = None, full_names: bool = False,
                            online: str | None = None) -> OnlineResponse:
        """The features of ``entity_rows`` (dicts holding the join keys and any request
        columns) from the online store (``online``, else ``[online] url`` of fsql.toml,
        else ``sqlite:///online.db``) as of ``at`` (default: now): a stored value outside its
        view's TTL at ``at`` is missing, and a missing value reads as a spine row with nothing
        visible (counts 0, others NULL or their default). docs/serving.md. For repeated
        low-latency reads keep one ``fsql.online.server.OnlineServer`` (open store, plans).

        >>> repo.get_online_features("fraud_detection",          # doctest: +SKIP
        ...                          [{"user_id": 1, "merchant_id": 7}]).to_dict()
        """
        with OnlineServer(self, online) as server:
            return server.get_online_features(features, entity_rows, at=at,
                                              full_names=full_names)


def _print_to_stderr(message: str) -> None:
    """One progress line on stderr."""
    print(message, file=sys.stderr)
