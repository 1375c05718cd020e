"""Which online store a repository serves from: ``[online] url`` in ``fsql.toml``, default
``sqlite:///online.db`` (a file inside the repository)."""

from __future__ import annotations

from fsql.dsl.catalog import Catalog
from fsql.errors import DefinitionError

DEFAULT_URL = "sqlite:///online.db"


def online_url(catalog: Catalog, url: str | None = None) -> str:
    """``url`` if given, else the repository's ``[online] url``, else the default."""
    if url:
        return url
    table = catalog.config.get("online", {})
    if not isinstance(table, dict) or not isinstance(table.get("url", ""), str):
        raise DefinitionError(f"{catalog.root / 'fsql.toml'}: [online] must be a table with "
                              'url = "sqlite:///online.db" or url = "redis://HOST:6379/0"')
    return str(table.get("url") or DEFAULT_URL)
