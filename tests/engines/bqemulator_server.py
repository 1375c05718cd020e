"""A local BigQuery API server (bqemulator 1.4.0, from tests/engines/setup_bqemulator.sh) for
the tests of fsql's google-cloud-bigquery code paths: started on free ports of 127.0.0.1,
in memory, and stopped at the end. It is DuckDB under a sqlglot translation, so it proves the
client path and the syntax the client sends; BigQuery semantics are proven by the GoogleSQL
evaluator (tests/engines/zetasql_engine.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-bqemulator"
PROJECT = "fsql-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BigQueryEmulator:
    """One bqemulator process; ``endpoint`` is its REST address, ``project`` its project."""

    def __init__(self, project: str = PROJECT) -> None:
        python = VENV / "bin" / "python"
        if not python.exists():
            raise RuntimeError("bqemulator is not installed: run tests/engines/setup_bqemulator.sh")
        self.project = project
        self.port = _free_port()
        self.log = Path(tempfile.mkstemp(prefix="fsql-bqemulator-", suffix=".log")[1])
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(python), str(Path(__file__).with_name("bqemulator_launch.py")), "start",
                 "--rest-port", str(self.port), "--grpc-port", str(_free_port()),
                 "--project", project, "--ephemeral", "--log-level", "warning"],
                stdout=out, stderr=subprocess.STDOUT)
        self._wait()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        url = f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bqemulator exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    json.load(response)
                    return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"bqemulator did not start on port {self.port}")

    def client(self):  # type: ignore[no-untyped-def]
        """A real google-cloud-bigquery client with anonymous credentials at this server."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(project=self.project, credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=self.endpoint))

    def close(self) -> None:
        """Stop the server (it keeps nothing: in memory) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)
