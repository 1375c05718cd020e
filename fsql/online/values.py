"""Feature values of one latest-table row as stored online: a JSON array in the view's
feature order, each value in a form that comes back exactly (floats by their shortest repr,
NaN and infinities included; decimals as text; timestamps as UTC microseconds; dates as ISO
text), decoded by the declared dtypes."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from fsql.dtypes import DType

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def encode_values(values: Sequence[Any], dtypes: Sequence[DType | None]) -> str:
    """The stored text of one row's feature values."""
    return json.dumps([_encode(v, t) for v, t in zip(values, dtypes, strict=True)],
                      separators=(",", ":"))


_DUMPS = json.JSONEncoder(separators=(",", ":")).encode
_PLAIN = ("int64", "string", "bool")  # stored as they are (NumPy scalars aside)


def encoder(dtypes: Sequence[DType | None]) -> Callable[[Sequence[Any]], str]:
    """:func:`encode_values` prepared for one layout (a sync encodes many rows): the same
    text, with the per-value work only where a value's stored form differs from it."""
    dtypes = list(dtypes)
    if any(t is None or t.name not in (*_PLAIN, "float64") for t in dtypes):
        return lambda values: encode_values(values, dtypes)
    floats = [i for i, t in enumerate(dtypes) if t is not None and t.name == "float64"]
    plain = [i for i, t in enumerate(dtypes) if t is not None and t.name in _PLAIN]
    finite = math.isfinite

    def encode(values: Sequence[Any]) -> str:
        out = list(values)
        for i in floats:
            v = out[i]
            if v is not None and (type(v) is not float or not finite(v)):
                out[i] = _encode(v, dtypes[i])
        for i in plain:
            if hasattr(out[i], "item"):
                out[i] = out[i].item()
        return _DUMPS(out)

    return encode


def decode_values(text: str, dtypes: Sequence[DType | None]) -> list[Any]:
    """The feature values of a stored row, typed."""
    return [_decode(v, t) for v, t in zip(json.loads(text), dtypes, strict=True)]


def decoder(dtypes: Sequence[DType | None]) -> Callable[[str], list[Any]]:
    """A function decoding stored rows of ``dtypes`` (as :func:`decode_values`), prepared once
    for many rows: values whose stored form is their value (int64, string, bool) are not
    touched."""
    steps = [(i, _DECODERS[t.name]) for i, t in enumerate(dtypes)
             if t is not None and t.name in _DECODERS]
    loads = json.loads
    if not steps:
        return loads

    def decode(text: str) -> list[Any]:
        values = loads(text)
        for i, step in steps:
            if values[i] is not None:
                values[i] = step(values[i])
        return values

    return decode


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


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "float64": float,
    "decimal": decimal.Decimal,
    "timestamp": lambda v: _EPOCH + int(v) * _MICRO,
    "date": dt.date.fromisoformat,
}


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
