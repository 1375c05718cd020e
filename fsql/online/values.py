"""Feature values of one latest-table row as stored online: a JSON array in the view's
feature order, each value in a form that comes back exactly (floats by their shortest repr,
NaN and infinities included; decimals as text; timestamps as UTC microseconds; dates as ISO
text), decoded by the declared dtypes."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Sequence
from typing import Any

from fsql.dtypes import DType

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def encode_values(values: Sequence[Any], dtypes: Sequence[DType | None]) -> str:
    """The stored text of one row's feature values."""
    return json.dumps([_encode(v, t) for v, t in zip(values, dtypes, strict=True)],
                      separators=(",", ":"))


def decode_values(text: str, dtypes: Sequence[DType | None]) -> list[Any]:
    """The feature values of a stored row, typed."""
    return [_decode(v, t) for v, t in zip(json.loads(text), dtypes, strict=True)]


def _encode(value: Any, dtype: DType | None) -> Any:
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) // _MICRO
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'nan', 'inf', '-inf': JSON has no such numbers
    if hasattr(value, "item"):  # a NumPy scalar
        return _encode(value.item(), dtype)
    return value


def _decode(value: Any, dtype: DType | None) -> Any:
    if value is None or dtype is None:
        return value
    name = dtype.name
    if name == "float64":
        return float(value)
    if name == "decimal":
        return decimal.Decimal(value)
    if name == "timestamp":
        return _EPOCH + int(value) * _MICRO
    if name == "date":
        return dt.date.fromisoformat(value)
    return value
