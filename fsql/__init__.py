"""fsql: feature definitions compiled to point-in-time correct SQL.

>>> import fsql
>>> user = fsql.Entity("user", join_keys=["user_id"])
"""

from fsql.dsl.aggregates import Aggregate, Derived
from fsql.dsl.definitions import Entity, FeatureService, FeatureView, Field, Source, ViewProjection
from fsql.errors import CompileError, DefinitionError, ExecutionError, FsqlError, UnsupportedError
from fsql.repo import Repo
from fsql.version import __version__

__all__ = [
    "Aggregate",
    "CompileError",
    "DefinitionError",
    "Derived",
    "Entity",
    "ExecutionError",
    "FeatureService",
    "FeatureView",
    "Field",
    "FsqlError",
    "Repo",
    "Source",
    "UnsupportedError",
    "ViewProjection",
    "__version__",
]
