"""The one encoding of entity keys shared by every online store (version 1).

A key is the tuple of its parts in the view's join-key order. Each part is written as a type
tag (one byte), the payload's length (4 bytes, big-endian) and the payload, after a version
byte; so no two distinct keys share an encoding: ``(1, 23)`` and ``(12, 3)``, ``("ab", "c")``
and ``("a", "bc")``, the int 1 and the string "1" all differ.

====== ==== =====================================================================
dtype  tag  payload
====== ==== =====================================================================
int64  i    8 bytes, big-endian two's complement
string s    UTF-8
bool   b    1 byte (0 or 1)
date   d    ISO text ``YYYY-MM-DD``
time   t    8 bytes, big-endian: microseconds since 1970-01-01 UTC
decimal n   the value's canonical text (``1.50`` and ``1.5`` are one key, as in SQL)
====== ==== =====================================================================
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
import struct
from collections.abc import Callable, Sequence
from typing import Any

from fsql.dtypes import DType
from fsql.errors import DefinitionError

VERSION = b"\x01"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def encode_key(values: Sequence[Any], dtypes: Sequence[DType], *, where: str) -> bytes:
    """The bytes of the key ``values`` (one per key part, typed by ``dtypes``); a missing or
    wrongly typed part raises a DefinitionError naming ``where`` and the part."""
    out = [VERSION]
    for n, (value, dtype) in enumerate(zip(values, dtypes, strict=True)):
        tag, payload = _part(value, dtype, where=f"{where}, key part {n + 1}")
        out += [tag, struct.pack(">I", len(payload)), payload]
    return b"".join(out)


def key_encoder(dtypes: Sequence[DType]) -> Callable[[Sequence[Any], str], bytes]:
    """:func:`encode_key` prepared for one key layout (the read path encodes many keys):
    ``encoder(values, where)`` gives the same bytes and the same errors."""
    names = [t.name for t in dtypes]
    pack_q, header = struct.Struct(">q").pack, b"i" + struct.pack(">I", 8)
    if names == ["int64"]:
        def one_int(values: Sequence[Any], where: str) -> bytes:
            (value,) = values
            if type(value) is int and -(2**63) <= value < 2**63:
                return VERSION + header + pack_q(value)
            return encode_key(values, dtypes, where=where)
        return one_int
    if names == ["string"]:
        def one_str(values: Sequence[Any], where: str) -> bytes:
            (value,) = values
            if type(value) is str:
                payload = value.encode("utf-8")
                return VERSION + b"s" + struct.pack(">I", len(payload)) + payload
            return encode_key(values, dtypes, where=where)
        return one_str

    def general(values: Sequence[Any], where: str) -> bytes:
        return encode_key(values, dtypes, where=where)
    return general


def _part(value: Any, dtype: DType, *, where: str) -> tuple[bytes, bytes]:
    if value is None:
        raise DefinitionError(f"{where}: a key cannot be NULL (None)")
    name = dtype.name
    if name == "int64" and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if not -(2**63) <= int(value) < 2**63:
            raise DefinitionError(f"{where}: {value} is outside int64")
        return b"i", struct.pack(">q", int(value))
    if name == "string" and isinstance(value, str):
        return b"s", value.encode("utf-8")
    if name == "bool" and isinstance(value, bool):
        return b"b", b"\x01" if value else b"\x00"
    if name == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return b"d", value.isoformat().encode("ascii")
    if name == "timestamp" and isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # naive timestamps are UTC (docs/semantics.md)
        micros = (value - _EPOCH) // dt.timedelta(microseconds=1)
        return b"t", struct.pack(">q", micros)
    if name == "decimal" and isinstance(value, (decimal.Decimal, numbers.Integral)) \
            and not isinstance(value, bool):
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(int(value))
        text = format(number.normalize(), "f")
        return b"n", ("0" if text in ("-0", "0") else text).encode("ascii")
    raise DefinitionError(
        f"{where}: {value!r} ({type(value).__name__}) is not a {dtype} key; pass the key as "
        f"its declared type ({_python_type(dtype)})")


def _python_type(dtype: DType) -> str:
    return {"int64": "int", "string": "str", "bool": "bool", "date": "datetime.date",
            "timestamp": "datetime.datetime", "decimal": "decimal.Decimal"}.get(
        dtype.name, dtype.name)
