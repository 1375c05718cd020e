"""The feature value types fsql knows, independent of any warehouse."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fsql.errors import DefinitionError

SIMPLE_DTYPES = ("int64", "float64", "string", "bool", "timestamp", "date")
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


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
        raise DefinitionError(f"{where}: dtype must be a string such as 'int64', got {text!r}")
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
    raise DefinitionError(
        f"{where}: unknown dtype {text!r}; use one of {', '.join(SIMPLE_DTYPES)} or decimal(p,s)"
    )
