"""Bounds on every google-cloud-bigquery call fsql makes, and the client's errors as one line.

google-cloud-bigquery retries a refused connection for up to ten minutes (its default retry
deadline) and waits on a request without a timeout. fsql passes each call :func:`retry`
(transient errors retried for at most :data:`DEADLINE` seconds; a refused connection or an
unknown host not at all) and :data:`TIMEOUT` seconds per HTTP request, and turns what the
client raises into an ExecutionError naming what failed (and the endpoint, when it cannot
be reached); a statement BigQuery refuses (HTTP 4xx but 401) is a QueryRejectedError.

>>> with failures("reading the spine table"):  # doctest: +SKIP
...     bq.get_table("ds.spine", retry=retry(), timeout=TIMEOUT)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fsql.errors import ExecutionError, QueryRejectedError

TIMEOUT = 30.0  # seconds one HTTP request to BigQuery may take
DEADLINE = 60.0  # seconds a call retries transient errors (rate limits, 5xx, timeouts)


def unreachable(err: BaseException) -> bool:
    """Whether ``err`` says the endpoint cannot be reached at all: the connection was
    refused or the host name does not resolve (retrying does not help: a wrong endpoint)."""
    seen: set[int] = set()
    todo: list[Any] = [err]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ConnectionRefusedError) or type(item).__name__ in (
                "NameResolutionError", "gaierror"):
            return True
        todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return False


def _transient(err: BaseException) -> bool:
    # The client's own predicate (rate limits, 5xx, dropped connections), minus the
    # connections that cannot succeed.
    from google.cloud.bigquery.retry import _should_retry  # 3.x; an extra

    return not unreachable(err) and bool(_should_retry(err))


@cache
def retry() -> Any:
    """The ``retry=`` of every call: the client's default predicate without unreachable
    endpoints, for at most :data:`DEADLINE` seconds."""
    from google.cloud.bigquery import DEFAULT_RETRY

    return DEFAULT_RETRY.with_predicate(_transient).with_deadline(DEADLINE)


def is_client_error(err: BaseException) -> bool:
    """Whether ``err`` comes from the BigQuery client or its HTTP stack (not from fsql)."""
    return type(err).__module__.startswith(("google.", "requests", "urllib3"))


def endpoint_of(err: BaseException) -> str | None:
    """``scheme://host:port`` of the request that failed, when the error holds it."""
    request = getattr(err, "request", None)
    url = getattr(request, "url", None)
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def first_line(err: BaseException) -> str:
    """The first line of ``err``'s message (its type when it has none): for an HTTP error
    of the API, BigQuery's own message, without the request line."""
    errors = getattr(err, "errors", None)
    first = errors[0] if isinstance(errors, list) and errors else None
    for text in (first.get("message") if isinstance(first, dict) else None,
                 getattr(err, "message", None), str(err)):
        if isinstance(text, str) and text.strip():
            return text.strip().splitlines()[0]
    return type(err).__name__


def as_execution_error(err: BaseException, what: str) -> ExecutionError:
    """``err`` (from the client) as one line: what fsql was doing and why it failed."""
    if unreachable(err):
        at = endpoint_of(err)
        return ExecutionError(
            f"BigQuery{' at ' + at if at else ''} cannot be reached ({what}): "
            f"{'connection refused' if 'refused' in str(err).lower() else 'unknown host'}; "
            "check the target's api_endpoint (or FSQL_BIGQUERY_API_ENDPOINT) and that the "
            "server is up")
    if type(err).__name__ == "RetryError":
        cause = getattr(err, "cause", None)
        last = first_line(cause) if cause is not None else first_line(err)
        return ExecutionError(f"BigQuery did not answer {what} within {DEADLINE:g} s of "
                              f"retries: {last}")
    code = getattr(err, "code", None)
    if isinstance(code, int) and 400 <= code < 500 and code != 401:
        # BigQuery refused this statement (not found, invalid query, access denied).
        return QueryRejectedError(f"BigQuery failed {what}: {first_line(err)}")
    return ExecutionError(f"BigQuery failed {what}: {first_line(err)}")


@contextmanager
def failures(what: str) -> Iterator[None]:
    """Turn the client's errors inside the block into one-line ExecutionErrors."""
    try:
        yield
    except Exception as err:
        if is_client_error(err):
            raise as_execution_error(err, what) from None
        raise
