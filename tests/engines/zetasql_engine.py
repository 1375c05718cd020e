"""BigQuery test engine: GoogleSQL's reference evaluator (PyPI ``zetasql``: wasm on wasmtime).

``ZetaSQLEngine(default_time_zone="UTC").run(sql, tables)`` loads typed rows into a catalog, runs
one SELECT and returns Python values. The wasm module (28 MB) takes 50-90 s to compile; the
compiled code is cached on disk (see :func:`cache_path`) and deserialized by later processes.
One wasm instance is shared per process (:func:`get_client`).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import decimal
import hashlib
import importlib.metadata
import os
import platform
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import wasmtime
from google.protobuf import message
from zetasql.core.exceptions import ServerError, StatusCode
from zetasql.core.wasm_client import WasmClient, get_tzinfo_dir
from zetasql.wasi import get_wasm_path
from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls_pb2
from zetasql.wasi._pb2.zetasql.proto import options_pb2 as proto_options_pb2
from zetasql.wasi._pb2.zetasql.proto import simple_catalog_pb2
from zetasql.wasi._pb2.zetasql.public import options_pb2, simple_table_pb2, type_pb2, value_pb2

from tests.engines import Result, TableData

__all__ = ["CachedWasmClient", "EngineError", "ZetaSQLEngine", "cache_path", "get_client"]

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)
# NUMERIC has 38 digits, BIGNUMERIC 76.x: Python's default precision (28) would round them.
_DEC = decimal.Context(prec=100)
_DECIMAL_RE = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")
# ValueProto fields whose Python value is already the result (int, float, str, bool, bytes).
_PLAIN_FIELDS = frozenset(
    {
        *("int64_value", "int32_value", "uint32_value", "uint64_value", "enum_value"),
        *("double_value", "float_value", "string_value", "bool_value", "bytes_value"),
        "json_value",
    }
)
_TYPES = {
    "int64": type_pb2.TYPE_INT64,
    "float64": type_pb2.TYPE_DOUBLE,
    "string": type_pb2.TYPE_STRING,
    "bool": type_pb2.TYPE_BOOL,
    "date": type_pb2.TYPE_DATE,
    "timestamp": type_pb2.TYPE_TIMESTAMP,
}


class EngineError(Exception):
    """The GoogleSQL engine rejected or failed a query; the message is the engine's own.

    ``code`` is the absl status name (``INVALID_ARGUMENT`` for analysis errors, ``OUT_OF_RANGE``
    for runtime errors such as division by zero, ``RESOURCE_EXHAUSTED`` for too much data), or
    ``None`` when the wasm instance trapped.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# Loader with a compiled-module cache
# --------------------------------------------------------------------------------------------


def cache_path() -> Path:
    """Return the file holding the compiled wasm module for this zetasql/wasmtime/CPU combination.

    Directory: ``$FSQL_ZETASQL_CACHE`` or ``~/.cache/fsql/zetasql``. The name includes both package
    versions, the machine type and a hash of the ``.wasm`` file, so an upgrade never loads a stale
    module (wasmtime itself also refuses code compiled by another version or for another CPU).
    """
    directory = Path(
        os.environ.get("FSQL_ZETASQL_CACHE") or Path.home() / ".cache" / "fsql" / "zetasql"
    )
    digest = hashlib.sha256(get_wasm_path().read_bytes()).hexdigest()[:16]
    zetasql, wasm = importlib.metadata.version("zetasql"), importlib.metadata.version("wasmtime")
    return directory / f"zetasql-{zetasql}-wasmtime-{wasm}-{platform.machine()}-{digest}.cwasm"


class CachedWasmClient(WasmClient):
    """The package's :class:`WasmClient`, with a disk cache of the compiled module and bulk copies.

    ``WasmClient.__init__`` compiles the module with ``Module.from_file`` and offers no hook to
    supply a precompiled one, so this subclass replaces ``__init__`` (same Config, WASI set-up and
    instantiation steps as the package's) and loads the module through :meth:`_load_module`. The
    RPC plumbing (``call_grpc_func`` etc.) is inherited unchanged. Nothing in the package is
    patched: other users of ``zetasql`` keep their own uncached client. ``write_bytes`` and
    ``read_bytes`` are overridden with one ``memmove`` each instead of the package's per-byte
    Python loops (which take ~0.5 s per MiB of request or response).
    """

    def __init__(
        self, wasm_path: str | os.PathLike[str] | None = None, cache_file: Path | None = None
    ) -> None:
        """Instantiate ``wasm_path`` (default: the package's module) through ``cache_file``."""
        self.wasm_path = Path(wasm_path) if wasm_path is not None else get_wasm_path()
        self.cache_file = cache_file if cache_file is not None else cache_path()
        self.compiled = False  # True when this instance had to compile (cold start)

        wasi = wasmtime.WasiConfig()
        wasi.inherit_stdout()
        wasi.inherit_stderr()
        # The evaluator reads time zone rules from /usr/share/zoneinfo: give it tzdata's copy.
        if tzinfo_dir := get_tzinfo_dir():
            wasi.preopen_dir(tzinfo_dir, "/usr/share/zoneinfo")
        config = wasmtime.Config()
        with contextlib.suppress(AttributeError):
            config.shared_memory = True  # must match between serialize and deserialize
        self.store = wasmtime.Store(wasmtime.Engine(config))
        self.store.set_wasi(wasi)
        self.module = self._load_module(self.store.engine)
        linker = wasmtime.Linker(self.store.engine)
        linker.define_wasi()
        self.instance = linker.instantiate(self.store, self.module)
        self.exports = self.instance.exports(self.store)
        if "_initialize" in self.exports:
            self.exports["_initialize"](self.store)
        self.memory = self.exports["memory"]

    def _load_module(self, engine: wasmtime.Engine) -> wasmtime.Module:
        """Deserialize the cached module, or compile it and write the cache atomically."""
        if (module := self._read_cache(engine)) is not None:
            return module
        # Parallel workers starting on a cold cache: one compiles (~1.1 GB RSS), the others wait
        # for its file instead of compiling too. The lock only serializes; readers never need it.
        with self._compile_lock():
            if (module := self._read_cache(engine)) is not None:
                return module
            module = wasmtime.Module.from_file(engine, str(self.wasm_path))
            self.compiled = True
            try:
                self._write_cache(module.serialize())
            except OSError as e:  # read-only home etc.: run uncached rather than fail
                warnings.warn(
                    f"zetasql module cache not written to {self.cache_file}: {e}", stacklevel=2
                )
            return module

    def _read_cache(self, engine: wasmtime.Engine) -> wasmtime.Module | None:
        if not self.cache_file.is_file():
            return None
        try:
            # Deserializing trusts the file (it is native code): the cache lives in the user's
            # own directory. wasmtime mmaps it, so a later os.replace by another process cannot
            # change what this process runs.
            return wasmtime.Module.deserialize_file(engine, str(self.cache_file))
        except wasmtime.WasmtimeError:
            return None  # another wasmtime build or CPU, or a damaged file: recompile, overwrite

    @contextlib.contextmanager
    def _compile_lock(self) -> Iterator[None]:
        """Hold an exclusive flock on ``<cache>.lock``; no-op where that is impossible."""
        with contextlib.ExitStack() as stack:
            try:
                import fcntl

                self.cache_file.parent.mkdir(parents=True, exist_ok=True)
                lock = stack.enter_context(open(self.cache_file.with_suffix(".lock"), "a"))
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            except (ImportError, OSError):  # no flock (Windows) or an unwritable directory
                pass
            yield

    def _write_cache(self, data: bytes | bytearray) -> None:
        """Write ``data`` to a temporary file beside the cache file, then rename it into place."""
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=self.cache_file.parent, prefix=self.cache_file.name, suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.cache_file)  # atomic: readers see no file or a whole one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _base_address(self) -> int:
        # The module exports a shared memory (no store argument); ask each time, as the package
        # does.
        return ctypes.addressof(self.memory.data_ptr().contents)

    def write_bytes(self, ptr: int, data: bytes) -> None:
        """Copy ``data`` into wasm memory at ``ptr`` in one move."""
        ctypes.memmove(self._base_address() + ptr, data, len(data))

    def read_bytes(self, ptr: int, size: int) -> bytes:
        """Copy ``size`` bytes of wasm memory at ``ptr`` in one move."""
        return ctypes.string_at(self._base_address() + ptr, size)


_client: CachedWasmClient | None = None
_client_lock = threading.RLock()  # a wasmtime Store must not be used from two threads at once


def get_client() -> CachedWasmClient:
    """Return the process-wide wasm instance; the first call creates it (from the cache if any)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = CachedWasmClient()
        return _client


def _discard_client() -> None:
    """Drop the instance after a wasm trap: its memory may be inconsistent."""
    global _client
    with _client_lock:
        _client = None


def _call(method: str, request: message.Message, response_type: type[Any]) -> Any:
    """Call one local-service RPC on the shared instance; engine errors become EngineError."""
    with _client_lock:
        client = get_client()
        try:
            return client.call_grpc_func(f"ZetaSqlLocalService_{method}", request, response_type)
        except ServerError as e:
            # The package's parser keeps only the first line of the message; the raw error also
            # holds the SQL line and a caret under the error position.
            m = re.match(r"Code: \d+, Message: (.*)", e.raw_error, re.S)
            code = e.code.name if isinstance(e.code, StatusCode) else str(e.code)
            raise EngineError(f"[{code}] {m.group(1) if m else e.message}", code) from None
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            _discard_client()
            raise EngineError(f"wasm failure in {method} (instance discarded): {e}") from e


_language_options: proto_options_pb2.LanguageOptionsProto | None = None


def _base_language_options() -> proto_options_pb2.LanguageOptionsProto:
    """Maximum released features, external (BigQuery) product mode, QUALIFY reserved."""
    global _language_options
    with _client_lock:
        if _language_options is None:
            opts = _call(
                "GetLanguageOptions",
                ls_pb2.LanguageOptionsRequest(maximum_features=True),
                proto_options_pb2.LanguageOptionsProto,
            )
            opts.product_mode = options_pb2.PRODUCT_EXTERNAL
            opts.name_resolution_mode = options_pb2.NAME_RESOLUTION_DEFAULT
            opts.reserved_keywords[:] = ["QUALIFY"]
            _language_options = opts
        return _language_options


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _column_type(dtype: str) -> tuple[int, int]:
    """Map an fsql dtype to (TypeKind, decimal scale exponent; 0 if not decimal)."""
    if dtype in _TYPES:
        return _TYPES[dtype], 0
    m = _DECIMAL_RE.fullmatch(dtype.strip().lower())
    if not m:
        raise ValueError(f"unsupported fsql dtype {dtype!r}")
    precision, scale = int(m.group(1)), int(m.group(2))
    if precision > 29 or scale > 9:
        return type_pb2.TYPE_BIGNUMERIC, 38
    return type_pb2.TYPE_NUMERIC, 9


def _encode_decimal(value: Any, exponent: int) -> bytes:
    """NUMERIC/BIGNUMERIC wire form: value x 10^exponent as little-endian two's complement."""
    d = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    scaled = d.scaleb(exponent, _DEC)
    if scaled != scaled.to_integral_value(context=_DEC):
        raise ValueError(f"{value!r} has more than {exponent} decimal places")
    n = int(scaled)
    return n.to_bytes(n.bit_length() // 8 + 1, "little", signed=True)


def _encode(value: Any, kind: int, exponent: int) -> value_pb2.ValueProto:
    """Encode one Python value as a ValueProto of the column's type (empty proto = NULL)."""
    if value is None:
        return value_pb2.ValueProto()
    if kind == type_pb2.TYPE_INT64:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"INT64 column: {value!r}")
        return value_pb2.ValueProto(int64_value=value)
    if kind == type_pb2.TYPE_DOUBLE:
        if isinstance(value, (bool, str)):
            raise TypeError(f"FLOAT64 column: {value!r}")
        return value_pb2.ValueProto(double_value=float(value))
    if kind == type_pb2.TYPE_STRING:
        if not isinstance(value, str):
            raise TypeError(f"STRING column: {value!r}")
        return value_pb2.ValueProto(string_value=value)
    if kind == type_pb2.TYPE_BOOL:
        if not isinstance(value, bool):
            raise TypeError(f"BOOL column: {value!r}")
        return value_pb2.ValueProto(bool_value=value)
    if kind == type_pb2.TYPE_DATE:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise TypeError(f"DATE column: {value!r}")
        return value_pb2.ValueProto(date_value=(value - _EPOCH_DATE).days)
    if kind == type_pb2.TYPE_TIMESTAMP:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"TIMESTAMP column: {value!r}")
        aware = value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
        delta = aware - _EPOCH  # normalized: days may be negative, seconds/microseconds are not
        v = value_pb2.ValueProto()
        v.timestamp_value.seconds = delta.days * 86400 + delta.seconds
        v.timestamp_value.nanos = delta.microseconds * 1000
        return v
    if kind == type_pb2.TYPE_NUMERIC:
        return value_pb2.ValueProto(numeric_value=_encode_decimal(value, exponent))
    return value_pb2.ValueProto(bignumeric_value=_encode_decimal(value, exponent))


def _decode_decimal(raw: bytes, exponent: int) -> decimal.Decimal:
    """Inverse of :func:`_encode_decimal`; trailing fractional zeros dropped (BigQuery's form)."""
    d = decimal.Decimal(int.from_bytes(raw, "little", signed=True)).scaleb(-exponent, _DEC)
    if d == d.to_integral_value(context=_DEC):
        return d.quantize(decimal.Decimal(1), context=_DEC)
    return d.normalize(_DEC)


def _decode(v: value_pb2.ValueProto) -> Any:
    """Decode a result ValueProto by its set field (none set = NULL)."""
    field = v.WhichOneof("value")
    if field is None:
        return None
    if field in _PLAIN_FIELDS:
        return getattr(v, field)
    if field == "numeric_value":
        return _decode_decimal(v.numeric_value, 9)
    if field == "bignumeric_value":
        return _decode_decimal(v.bignumeric_value, 38)
    if field == "date_value":
        return _EPOCH_DATE + dt.timedelta(days=v.date_value)
    if field == "timestamp_value":
        ts = v.timestamp_value  # nanoseconds beyond microseconds are truncated
        return _EPOCH + dt.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)
    if field == "datetime_value":
        b = v.datetime_value.bit_field_datetime_seconds
        return dt.datetime(
            b >> 26,
            (b >> 22) & 0xF,
            (b >> 17) & 0x1F,
            (b >> 12) & 0x1F,
            (b >> 6) & 0x3F,
            b & 0x3F,
            v.datetime_value.nanos // 1000,
        )
    if field == "time_value":  # packed: hour<<42 | minute<<36 | second<<30 | nanos
        t = v.time_value
        return dt.time(
            (t >> 42) & 0x1F, (t >> 36) & 0x3F, (t >> 30) & 0x3F, (t & 0x3FFFFFFF) // 1000
        )
    if field == "array_value":
        return [_decode(e) for e in v.array_value.element]
    if field == "struct_value":
        return tuple(_decode(f) for f in v.struct_value.field)
    raise EngineError(f"result value kind {field!r} is not supported by the test harness")


# --------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------


class ZetaSQLEngine:
    """BigQuery-dialect engine on GoogleSQL's reference implementation.

    Tables are registered under their whole name: ``proj.ds.t`` is one table name, which SQL must
    write as one backticked identifier (the unquoted path ``proj.ds.t`` is not found).

    Results: INT64 -> int, FLOAT64 -> float, NUMERIC/BIGNUMERIC -> Decimal, STRING -> str,
    BOOL -> bool, DATE -> date, TIMESTAMP -> aware UTC datetime, DATETIME -> naive datetime,
    TIME -> time, ARRAY -> list, STRUCT -> tuple, NULL -> None.
    """

    dialect = "bigquery"

    def __init__(self, default_time_zone: str = "UTC") -> None:
        """``default_time_zone`` is the engine's session zone for zone-less conversions."""
        self.default_time_zone = default_time_zone

    def _analyzer_options(self) -> proto_options_pb2.AnalyzerOptionsProto:
        opts = proto_options_pb2.AnalyzerOptionsProto(
            default_timezone=self.default_time_zone,
            error_message_mode=options_pb2.ERROR_MESSAGE_MULTI_LINE_WITH_CARET,
        )
        opts.language_options.CopyFrom(_base_language_options())
        return opts

    def run(self, sql: str, tables: dict[str, TableData]) -> Result:
        """Load ``tables`` and evaluate the one query ``sql``; :class:`EngineError` on failure."""
        options = self._analyzer_options()
        catalog = simple_catalog_pb2.SimpleCatalogProto(name="fsql")
        catalog.builtin_function_options.language_options.CopyFrom(options.language_options)
        request = ls_pb2.EvaluateQueryRequest(sql=sql, options=options)
        for name, data in tables.items():
            kinds = [_column_type(dtype) for _, dtype in data.columns]
            table = simple_table_pb2.SimpleTableProto(name=name)
            for (col, _), (kind, _) in zip(data.columns, kinds, strict=True):
                table.column.add(name=col, type=type_pb2.TypeProto(type_kind=kind))
            catalog.table.append(table)
            content = request.table_content[name].table_data
            content.SetInParent()  # an empty table still has (empty) content
            for row in data.rows:
                if len(row) != len(kinds):
                    raise ValueError(f"table {name}: row {row!r} does not have {len(kinds)} values")
                content.row.add().cell.extend(
                    _encode(v, k, e) for v, (k, e) in zip(row, kinds, strict=True)
                )
        request.simple_catalog.CopyFrom(catalog)
        response = _call("EvaluateQuery", request, ls_pb2.EvaluateQueryResponse)
        columns = [c.name for c in response.prepared.columns]
        rows = [tuple(_decode(c) for c in r.cell) for r in response.content.table_data.row]
        return Result(columns=columns, rows=rows)
