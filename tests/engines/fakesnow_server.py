"""fakesnow's server mode (a local HTTP server of the Snowflake API, from ``.venv-fakesnow``
with its ``server`` extra: tests/engines/setup_fakesnow.sh) for clients that run in another
process, such as dbt-snowflake: started on a free port of 127.0.0.1, in memory, stopped at the
end. It is DuckDB under a sqlglot translation (docs: /work/shared/ENGINES.md), so it proves
that a client's statements are accepted and run, not Snowflake's semantics."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv-fakesnow" / "bin" / "python"
# The server applies the test harness's one ASOF rewrite (tests/engines/fakesnow_rewrite.py,
# the same as the in-process engine) to every statement a client sends.
_SERVE = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import uvicorn, fakesnow.cursor, fakesnow.server
from fakesnow_rewrite import rewrite_for_fakesnow
_execute = fakesnow.cursor.FakeSnowflakeCursor.execute
def execute(self, command, *args, **kwargs):
    return _execute(self, rewrite_for_fakesnow(command), *args, **kwargs)
fakesnow.cursor.FakeSnowflakeCursor.execute = execute
uvicorn.run(fakesnow.server.app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakesnowServer:
    """One fakesnow server process; ``host``/``port`` for a connector with protocol http."""

    def __init__(self) -> None:
        if not PYTHON.exists():
            raise RuntimeError("fakesnow is not installed: run tests/engines/setup_fakesnow.sh")
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.process = subprocess.Popen([str(PYTHON), "-c", _SERVE, str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("fakesnow server exited: "
                                   + (self.process.stderr.read() if self.process.stderr
                                      else b"").decode()[-2000:])
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"fakesnow server did not start on port {self.port}")

    def close(self) -> None:
        """Stop the server (it keeps nothing)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
