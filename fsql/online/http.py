"""The HTTP feature server (``fsql serve``): Starlette on uvicorn over one
:class:`~fsql.online.server.OnlineServer` (docs/serving.md, "The feature server").

``POST /get-online-features`` takes and returns Feast's feature-server JSON; ``POST /push``
writes snapshot rows; ``GET /health``; ``GET /metrics`` (Prometheus text). A bad request gets
400 with ``{"error": "..."}`` (one message naming the definition and the fix); an online store
that cannot answer gets 503, never an empty or partial success.

The handlers run on the event loop without a thread hop (a read is a few hundred
microseconds of CPU and one store round trip); responses are built column by column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fsql.errors import CompileError, DefinitionError, FsqlError, StoreUnavailableError
from fsql.online.server import OnlineServer
from fsql.online.serving import PRESENT, OnlineResponse

_EPOCH_TEXT = "1970-01-01T00:00:00Z"  # Feast's event timestamp of an entity column
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def _requirements() -> tuple[Any, Any]:
    try:
        import prometheus_client
        import starlette  # noqa: F401  (checked here, imported where used)
        import uvicorn
    except ImportError:
        raise DefinitionError("fsql serve needs the server's packages: pip install "
                              "'fsql[serve]' (starlette, uvicorn, prometheus-client)") from None
    return prometheus_client, uvicorn


class BadRequest(FsqlError):
    """A request the server cannot parse (not JSON, a missing or mistyped field)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)  # exact: a JSON number would go through a float
    if hasattr(value, "item"):  # a NumPy scalar
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _timestamp(value: dt.datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = aware.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def dumps(body: Any) -> bytes:
    """JSON of a response: timestamps as ISO 8601 UTC text, dates ISO, decimals as text,
    NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has no such
    numbers)."""
    try:
        text = json.dumps(body, default=_json_default, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite float somewhere: the slow path
        text = json.dumps(_sanitize(body), default=_json_default, separators=(",", ":"))
    return text.encode("utf-8")


def _sanitize(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _sanitize(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_sanitize(v) for v in body]
    return _finite(body)


def feast_response(response: OnlineResponse) -> dict[str, Any]:
    """Feast's feature-server response: ``metadata.feature_names`` (entity columns, then
    features) and one result per name with ``values``, ``statuses`` and
    ``event_timestamps``."""
    results: list[dict[str, Any]] = []
    for values in response.entities.values():
        results.append({"values": values, "statuses": [PRESENT] * len(values),
                        "event_timestamps": [_EPOCH_TEXT] * len(values)})
    for name in response.features:
        results.append({"values": response.values[name], "statuses": response.statuses[name],
                        "event_timestamps": [None if t is None else _timestamp(t)
                                             for t in response.timestamps[name]]})
    return {"metadata": {"feature_names": [*response.entities, *response.features]},
            "results": results}


def _field(body: dict[str, Any], name: str, kinds: tuple[type, ...], what: str,
           required: bool = True) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"the request lacks {name!r} ({what})")
        return None
    if not isinstance(value, kinds):
        raise BadRequest(f"{name!r} must be {what}, got {type(value).__name__}")
    return value


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"the request body is not JSON: {err}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def get_online_features(server: OnlineServer, body: dict[str, Any]) -> dict[str, Any]:
    """Answer one ``/get-online-features`` body (Feast's request JSON; fsql also takes
    ``"at"``: ISO 8601 read time, default now)."""
    service = _field(body, "feature_service", (str,), "a feature service name", False)
    features = _field(body, "features", (list,), 'a list of "view:feature"', False)
    if (service is None) == (features is None):
        raise BadRequest('give either "feature_service" (a name) or "features" '
                         '(["view:feature", ...]), not both or neither')
    if features is not None and not all(isinstance(f, str) for f in features):
        raise BadRequest('"features" must be a list of "view:feature" strings')
    entities = _field(body, "entities", (dict,), 'an object of columns: {"user_id": [1, 2]}')
    for column, values in entities.items():
        if not isinstance(values, list):
            raise BadRequest(f"entities[{column!r}] must be a list of values, one per row")
    full_names = bool(body.get("full_feature_names", False))
    at_text = _field(body, "at", (str,), "an ISO 8601 timestamp", False)
    at = None
    if at_text is not None:
        try:
            at = dt.datetime.fromisoformat(at_text)
        except ValueError:
            raise BadRequest(f"'at' must be an ISO 8601 timestamp, got {at_text!r}") from None
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    response = server.get_online_features_json(service or features, entities, at=at,
                                               full_names=full_names)
    return feast_response(response)


def push(server: OnlineServer, body: dict[str, Any]) -> dict[str, Any]:
    """Answer one ``/push`` body: ``{"feature_view": NAME, "df": {column: [values]}}``
    (Feast's ``push_source_name`` is taken as the view's name; ``"to"`` must be ``online``,
    the default: a push never writes offline)."""
    view = body.get("feature_view", body.get("push_source_name"))
    if not isinstance(view, str):
        raise BadRequest("the request lacks 'feature_view' (the snapshot view to push to)")
    to = body.get("to", "online")
    if to != "online":
        raise BadRequest(f"'to' is {to!r}: fsql pushes to the online store only ('online'); "
                         "write offline rows to the view's source")
    frame = _field(body, "df", (dict,), 'an object of columns: {"user_id": [1], ...}')
    for column, values in frame.items():
        if not isinstance(values, list):
            raise BadRequest(f"df[{column!r}] must be a list of values, one per row")
    result = server.push(view, frame)
    return {"view": result.view, "rows": result.rows, "written": result.written}


def create_app(server: OnlineServer) -> Any:
    """The Starlette application serving ``server``."""
    prometheus_client, _ = _requirements()
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    registry = prometheus_client.CollectorRegistry()
    requests = prometheus_client.Counter(
        "fsql_requests", "Requests by endpoint and HTTP status", ["endpoint", "status"],
        registry=registry)
    latency = prometheus_client.Histogram(
        "fsql_request_seconds", "Request latency by endpoint (seconds)", ["endpoint"],
        buckets=_BUCKETS, registry=registry)
    json_type = "application/json"

    def error(status: int, message: str) -> Response:
        return Response(dumps({"error": message}), status_code=status, media_type=json_type)

    def endpoint(name: str, work: Callable[[OnlineServer, dict[str, Any]], dict[str, Any]]
                 ) -> Callable[[Request], Awaitable[Response]]:
        counted = {s: requests.labels(name, str(s)) for s in (200, 400, 500, 503)}
        timer = latency.labels(name)

        async def handle(request: Request) -> Response:
            started = time.perf_counter()
            try:
                body = _body(await request.body())
                response = Response(dumps(work(server, body)), media_type=json_type)
            except StoreUnavailableError as err:  # the store, not the request
                response = error(503, str(err))
            except (BadRequest, DefinitionError, CompileError) as err:
                response = error(400, str(err))
            except FsqlError as err:  # running failed (the store's data, an evaluation)
                response = error(503, str(err))
            except Exception as err:  # a bug: say so, never a success
                response = error(500, f"internal error: {type(err).__name__}: {err}")
            status = response.status_code
            (counted.get(status) or requests.labels(name, str(status))).inc()
            timer.observe(time.perf_counter() - started)
            return response

        return handle

    async def health(request: Request) -> Response:
        try:
            server.health()
        except FsqlError as err:
            requests.labels("health", "503").inc()
            return error(503, str(err))
        requests.labels("health", "200").inc()
        return Response(dumps({"status": "ok", "store": server.store.url}),
                        media_type=json_type)

    async def metrics(request: Request) -> Response:
        return Response(prometheus_client.generate_latest(registry),
                        media_type=prometheus_client.CONTENT_TYPE_LATEST)

    return Starlette(routes=[
        Route("/get-online-features", endpoint("get-online-features", get_online_features),
              methods=["POST"]),
        Route("/push", endpoint("push", push), methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ])


def _config(server: OnlineServer, host: str, port: int) -> Any:
    _, uvicorn = _requirements()
    options: dict[str, Any] = {"log_level": "warning", "access_log": False}
    try:
        import httptools  # noqa: F401  (uvicorn's faster HTTP parser, when installed)

        options["http"] = "httptools"
    except ImportError:
        pass
    return uvicorn.Config(create_app(server), host=host, port=port, **options)


def serve(server: OnlineServer, *, host: str = "127.0.0.1", port: int = 6566) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM)."""
    _, uvicorn = _requirements()
    config = _config(server, host, port)
    gc.collect()
    gc.freeze()  # what is loaded now lives as long as the server: keep it out of GC passes
    uvicorn.Server(config).run()


class BackgroundServer:
    """The HTTP server on a thread of this process (tests, benchmarks):
    ``with BackgroundServer(server, port=0) as http: urlopen(http.url + "/health")``."""

    def __init__(self, server: OnlineServer, *, host: str = "127.0.0.1", port: int = 0) -> None:
        _, uvicorn = _requirements()
        self._server = uvicorn.Server(_config(server, host, port))
        self._thread = threading.Thread(target=self._server.run, name="fsql-serve", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the feature server did not start on {host}:{port}")
            time.sleep(0.01)
        sockets = [s for srv in self._server.servers for s in srv.sockets]
        self.host, self.port = sockets[0].getsockname()[:2]

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()
