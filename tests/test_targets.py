"""Target URLs (SQLAlchemy's parser) and warehouse credentials: each missing part named, no
password taken from a URL, and a planted secret never in an output, error or repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsql.cli import main
from fsql.engines.credentials import CredentialsError, snowflake_credentials
from fsql.errors import CompileError
from fsql.materialize.targets import credentials, parse_url
from tests.materialize_support import make_repo, write_sources
from tests.test_materialize import EVENTS, SNAP

SECRET = "Pl4nted-S3cret-9f2c"
ROOT = Path("/repo")


def test_urls_parsed_into_their_parts() -> None:
    duck = parse_url("duckdb:///stores/x.duckdb", root=ROOT)
    assert (duck.scheme, duck.path) == ("duckdb", ROOT / "stores" / "x.duckdb")
    assert parse_url("duckdb:////abs/x.duckdb", root=ROOT).path == Path("/abs/x.duckdb")
    bq = parse_url("bigquery://proj/ds?location=EU", root=ROOT)
    assert (bq.host, bq.database, bq.schema, bq.option("location")) == \
        ("proj", "ds", "proj.ds", "EU")
    assert bq.qualified("t") == "proj.ds.t"
    sf = parse_url("snowflake://me@acct-1/DB/SCH?warehouse=WH&role=R", root=ROOT)
    assert (sf.user, sf.host, sf.database, sf.schema) == ("me", "acct-1", "DB", "DB.SCH")
    assert (sf.option("warehouse"), sf.option("role"), sf.option("connection")) == \
        ("WH", "R", None)


@pytest.mark.parametrize(("url", "message"), [
    ("bigquery:///ds", "names no project"),
    ("bigquery://proj", "names no dataset"),
    ("bigquery://proj/a/b", "names more than one dataset"),
    ("snowflake:///db/sch", "names no account"),
    ("snowflake://u@acct", "names no database"),
    ("snowflake://u@acct/db", "names no schema"),
    ("duckdb://", "names no file"),
    ("duckbd:///x.duckdb", "Did you mean 'duckdb'"),
    ("bigquery://p/d?locaton=EU", "unknown option 'locaton'. Did you mean 'location'"),
    ("snowflake://u@a/d/s?wharehouse=W", "Did you mean 'warehouse'"),
])
def test_bad_urls_name_the_missing_part(url: str, message: str) -> None:
    with pytest.raises(CompileError, match=message):
        parse_url(url, root=ROOT)


def test_password_in_url_refused_without_repeating_it() -> None:
    with pytest.raises(CompileError) as caught:
        parse_url(f"snowflake://me:{SECRET}@acct/db/sch", root=ROOT)
    assert SECRET not in str(caught.value)
    assert "SNOWFLAKE_PASSWORD" in str(caught.value)


def test_missing_credentials_name_what_would_provide_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY_FILE", "SNOWFLAKE_HOME",
                 "FSQL_BIGQUERY_API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    with pytest.raises(CredentialsError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        credentials(parse_url("bigquery://proj/ds", root=ROOT))
    with pytest.raises(CredentialsError, match="set SNOWFLAKE_PASSWORD, or "
                                               "SNOWFLAKE_PRIVATE_KEY_FILE"):
        credentials(parse_url("snowflake://me@acct/db/sch", root=ROOT))
    with pytest.raises(CredentialsError, match=r"no \[prod\] in .*connections.toml"):
        snowflake_credentials("t", "", "prod", env={}, home=tmp_path)
    with pytest.raises(CredentialsError, match="names no user"):
        snowflake_credentials("t", "", None, env={})


def test_credentials_from_the_environment_and_connections_file(tmp_path: Path) -> None:
    found = snowflake_credentials("t", "me", None, env={"SNOWFLAKE_PASSWORD": SECRET})
    assert found.secret["password"] == SECRET and SECRET not in repr(found)
    pair = snowflake_credentials("t", "me", None, env={"SNOWFLAKE_PRIVATE_KEY_FILE": "/k.p8",
                                                       "SNOWFLAKE_PASSWORD": SECRET})
    assert pair.secret["private_key_file"] == "/k.p8" and "password" not in pair.secret
    (tmp_path / ".snowflake").mkdir()
    (tmp_path / ".snowflake" / "connections.toml").write_text(
        f'[prod]\naccount = "a"\nuser = "me"\npassword = "{SECRET}"\n')
    named = snowflake_credentials("t", "", "prod", env={}, home=tmp_path)
    assert named.secret["connection_name"] == "prod" and SECRET not in repr(named)
    anonymous = credentials(parse_url("bigquery://p/d?api_endpoint=http://127.0.0.1:9",
                                      root=ROOT))
    assert "anonymous" in anonymous.source


def test_planted_secret_never_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    write_sources(root, SNAP, EVENTS)
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    seen = []
    runs = [
        (["materialize", "--target", f"snowflake://me:{SECRET}@acct/db/sch"], 2),
        # a refused connection (port 1 of this machine): one line, no secret, no network
        (["materialize", "--target",
          "snowflake://me@acct/db/sch?host=127.0.0.1&port=1&protocol=http"], 2),
        (["materialize", "--dialect", "snowflake", "--print", "--target",
          "snowflake://me@acct/db/sch"], 0),
        (["materialize", "--dialect", "snowflake", "--print", "--target",
          f"snowflake://me:{SECRET}@acct/db/sch"], 2),
        (["materialize", "--target", f"bigquery://p:{SECRET}@proj/ds"], 2),
    ]
    for args, code in runs:
        assert main([args[0], "--repo", str(root), "--end", "2024-01-01", *args[1:]]) == code
        out = capsys.readouterr()
        seen.append(out.out + out.err)
        assert SECRET not in out.out + out.err, args
    assert "MERGE" in seen[2].upper()
    assert "holds a password" in seen[0] and "holds a password" in seen[4]
