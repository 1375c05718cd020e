"""Column types as the local engine (DuckDB) names them when it describes a file, and their
fsql dtypes: the planner's common currency for the types of spine and source columns."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fsql.dtypes import DType

# Types of the columns a timestamp may live in.
TIME_TYPES = re.compile(r"^(TIMESTAMP.*|DATE)$")
# DuckDB's type of a DataFrame column holding only None: any dtype holds it.
NULL_TYPE = '"NULL"'
_NAMES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "TEXT", "bool": "BOOLEAN",
          "timestamp": "TIMESTAMP", "date": "DATE"}


def family(engine_type: str) -> str:
    """What a type compares as: numbers with numbers, strings with strings..."""
    name = engine_type.upper()
    if re.match(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$|^(FLOAT|DOUBLE|DECIMAL)", name):
        return "number"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    # ENUM: a pandas categorical column; TEXT: how sqlglot writes a declared string
    if name in ("VARCHAR", "TEXT") or name.startswith("ENUM("):
        return "string"
    return name


def fsql_dtype(engine_type: str) -> str | None:
    """The fsql dtype of a column type (None when fsql has no such dtype)."""
    name = engine_type.upper()
    if re.match(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT)$", name):
        return "int64"
    if name in ("FLOAT", "DOUBLE", "REAL"):
        return "float64"
    if name in ("VARCHAR", "TEXT") or name.startswith("ENUM("):  # TEXT: a declared string
        return "string"
    if name == "BOOLEAN":
        return "bool"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    if name == "DATE":
        return "date"
    match = re.match(r"^DECIMAL\((\d+),\s*(\d+)\)$", name)
    return f"decimal({match.group(1)},{match.group(2)})" if match else None


def engine_type(dtype: DType) -> str:
    """The type name of an fsql dtype, as a file description spells it."""
    if dtype.name == "decimal":
        return f"DECIMAL({dtype.precision}, {dtype.scale})"
    return _NAMES[dtype.name]


def dtype_name(engine_type: str) -> str | None:
    """The fsql dtype's name (``decimal`` without precision) of a column type."""
    dtype = fsql_dtype(engine_type)
    return dtype.split("(")[0] if dtype else None


def fsql_dtypes(engine_types: Mapping[str, str] | None) -> dict[str, str]:
    """Column -> fsql dtype, for the columns whose type has one."""
    known = {c: fsql_dtype(t) for c, t in (engine_types or {}).items()}
    return {c: t for c, t in known.items() if t is not None}
