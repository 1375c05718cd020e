"""Warm the compiled-module cache of the GoogleSQL engine: ``python -m tests.engines.warm_zetasql``.

Run once per machine (and before starting parallel test workers): the first run compiles the
28 MB wasm module (50-90 s) and writes the cache; later runs only deserialize it (~2 s).
"""

from __future__ import annotations

import time


def warm() -> tuple[float, bool, str]:
    """Create the engine and run one query; return (seconds, whether it compiled, cache file)."""
    start = time.perf_counter()
    from tests.engines.zetasql_engine import ZetaSQLEngine, get_client

    ZetaSQLEngine().run("SELECT 1 AS one", {})
    client = get_client()
    return time.perf_counter() - start, client.compiled, str(client.cache_file)


def main() -> None:
    """Warm the cache and print how long it took."""
    seconds, compiled, path = warm()
    how = "compiled, cache written" if compiled else "from cache"
    print(f"zetasql engine ready in {seconds:.1f} s ({how}: {path})")


if __name__ == "__main__":
    main()
