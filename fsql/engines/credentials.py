"""Warehouse credentials from the environment or the warehouse's standard mechanism, never
from a URL: Application Default Credentials for BigQuery (or anonymous ones for a local API
server named by ``api_endpoint``), password or key-pair variables or
``~/.snowflake/connections.toml`` for Snowflake. No repr, log line or error holds a secret."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fsql.errors import ExecutionError

BIGQUERY_ENDPOINT_VARIABLE = "FSQL_BIGQUERY_API_ENDPOINT"
ADC_FIX = ("set GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth "
           "application-default login` (Application Default Credentials)")


class CredentialsError(ExecutionError):
    """A warehouse target has no credentials where fsql looks for them (the message names
    the variable or file that would provide them, and never a secret)."""


@dataclass(frozen=True)
class Credentials:
    """Keyword arguments for a warehouse client; ``secret`` is never shown (``repr`` hides
    it), ``source`` says where the credentials came from."""

    source: str
    secret: Mapping[str, Any] = field(repr=False, default_factory=dict)


def bigquery_endpoint(option: str | None, env: Mapping[str, str] = os.environ) -> str | None:
    """The API endpoint of a local BigQuery server: the URL's ``?api_endpoint=``, else
    ``$FSQL_BIGQUERY_API_ENDPOINT``, else None (Google's)."""
    return option or env.get(BIGQUERY_ENDPOINT_VARIABLE) or None


def bigquery_credentials(where: str, endpoint: str | None) -> Credentials:
    """Anonymous credentials for a local server (``endpoint``), else Application Default
    Credentials; none found: a CredentialsError naming what would provide them."""
    try:
        import google.auth  # an extra: imported when a target needs it
        from google.auth.credentials import AnonymousCredentials
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:
        raise ExecutionError(f"Target {where!r} needs google-cloud-bigquery: pip install "
                             "'fsql[bigquery]'") from None
    if endpoint:
        return Credentials(f"anonymous, at {endpoint}", {"credentials": AnonymousCredentials()})
    try:
        found, _project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/bigquery"])
    except DefaultCredentialsError:
        raise CredentialsError(f"Target {where!r}: no Google credentials found; {ADC_FIX}, "
                               f"or set {BIGQUERY_ENDPOINT_VARIABLE} for a local server"
                               ) from None
    return Credentials("Application Default Credentials", {"credentials": found})


def snowflake_credentials(where: str, user: str, connection: str | None,
                          env: Mapping[str, str] = os.environ,
                          home: Path | None = None) -> Credentials:
    """``connection_name`` of connections.toml (``?connection=NAME``), else a key pair
    (``$SNOWFLAKE_PRIVATE_KEY_FILE``, ``$SNOWFLAKE_PRIVATE_KEY_FILE_PWD``), else
    ``$SNOWFLAKE_PASSWORD``; none: a CredentialsError naming them."""
    if connection:
        base = Path(env["SNOWFLAKE_HOME"]) if env.get("SNOWFLAKE_HOME") else \
            (home or Path.home()) / ".snowflake"
        file = base / "connections.toml"
        try:
            names = tomllib.loads(file.read_text()) if file.exists() else {}
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            raise CredentialsError(f"Target {where!r}: cannot read {file} as TOML") from None
        if connection not in names:
            raise CredentialsError(f"Target {where!r}: no [{connection}] in {file}; add it "
                                   "there (account, user, password or private_key_file)")
        return Credentials(f"[{connection}] of {file}", {"connection_name": connection,
                                                         "connections_file_path": file})
    if not user:
        raise CredentialsError(f"Target {where!r} names no user; write it like "
                               "'snowflake://user@account/database/schema' or pass "
                               "?connection=NAME of ~/.snowflake/connections.toml")
    if env.get("SNOWFLAKE_PRIVATE_KEY_FILE"):
        secret = {"user": user, "authenticator": "SNOWFLAKE_JWT",
                  "private_key_file": env["SNOWFLAKE_PRIVATE_KEY_FILE"]}
        if env.get("SNOWFLAKE_PRIVATE_KEY_FILE_PWD"):
            secret["private_key_file_pwd"] = env["SNOWFLAKE_PRIVATE_KEY_FILE_PWD"]
        return Credentials("key pair of $SNOWFLAKE_PRIVATE_KEY_FILE", secret)
    if env.get("SNOWFLAKE_PASSWORD"):
        return Credentials("$SNOWFLAKE_PASSWORD",
                           {"user": user, "password": env["SNOWFLAKE_PASSWORD"]})
    raise CredentialsError(
        f"Target {where!r}: no Snowflake credentials for user {user!r}; set "
        "SNOWFLAKE_PASSWORD, or SNOWFLAKE_PRIVATE_KEY_FILE (and SNOWFLAKE_PRIVATE_KEY_FILE_PWD), "
        "or pass ?connection=NAME of ~/.snowflake/connections.toml")
