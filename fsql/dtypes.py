"""The feature value types fsql knows, independent of any warehouse."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from fsql.errors import DefinitionError

SIMPLE_DTYPES = ("int64", "float64", "string", "bool", "timestamp", "date")
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
# Type names from Python, pandas and SQL, mapped to fsql's, for the "Did you mean" hint only:
# fsql accepts one spelling per type so that definitions read the same everywhere.
_ALIASES = {
    "int": "int64", "integer": "int64", "bigint": "int64", "long": "int64", "int32": "int64",
    "float": "float64", "double": "float64", "float32": "float64", "real": "float64",
    "str": "string", "text": "string", "varchar": "string", "object": "string",
    "boolean": "bool", "datetime": "timestamp", "datetime64": "timestamp",
    "timestamptz": "timestamp", "numeric": "decimal(p,s)", "decimal": "decimal(p,s)",
}


@dataclass(frozen=True)
class DType:
    """A parsed dtype: ``name`` is one of SIMPLE_DTYPES or ``decimal`` (then precision/scale)."""

    name: str
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        if self.name == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.name


def parse_dtype(text: str | DType, *, where: str) -> DType:
    """Parse ``"int64"``, ``"decimal(18,2)"``... raising a DefinitionError that names ``where``."""
    if isinstance(text, DType):
        return text
    if not isinstance(text, str):
        close = _ALIASES.get(getattr(text, "__name__", ""), "int64")
        raise DefinitionError(
            f"{where}: dtype must be a string such as {close!r}, got {text!r}"
        )
    norm = text.strip().lower()
    if norm in SIMPLE_DTYPES:
        return DType(norm)
    match = _DECIMAL.match(norm)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise DefinitionError(
                f"{where}: {text!r} needs 1 <= precision <= 38 and scale <= precision"
            )
        return DType("decimal", precision, scale)
    close = _ALIASES.get(norm) or next(iter(difflib.get_close_matches(norm, SIMPLE_DTYPES, n=1)),
                                       None)
    hint = f" Did you mean {close!r}?" if close else ""
    raise DefinitionError(
        f"{where}: unknown dtype {text!r}.{hint} Use one of {', '.join(SIMPLE_DTYPES)} or "
        "decimal(p,s)"
    )
