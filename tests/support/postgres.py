"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir on a free 127.0.0.1 port.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` OS user (Debian's `postgresql` package creates it), as the scripts' own results database
does (pipelinectl.services.postgres: program discovery and the OS user are shared with it). The cluster
trusts local TCP connections, keeps nothing durable (fsync off) and is deleted at exit.

Use from tests::

    from support.postgres import postgres_cluster  # noqa: F401  (the fixture)

    def test_x(postgres_cluster): url = postgres_cluster.create_database("x")

The fixture skips the test when no PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from pipelinectl.ports import free_port
from pipelinectl.services import postgres as pipeline_postgres


def find_bindir() -> Path | None:
    """Directory with initdb/pg_ctl: $PG_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH."""
    return pipeline_postgres.find_bindir(os.environ.get("PG_BIN") or None)


class PostgresCluster:
    """One server process; `url` connects as the `postgres` superuser without a password."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError("PostgreSQL server binaries not found (Debian package `postgresql`)")
        self.bindir = found
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.root / "data"
        self.port = 0
        self.running = False
        account = pipeline_postgres.server_account()  # None unless we are root
        if account is not None:
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._as_user = pipeline_postgres.as_account(account)
        os.chmod(self.root, 0o700)

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False, cwd=self.root
        )

    def start(self) -> PostgresCluster:
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()[-500:]}")
        last = ""
        for _ in range(5):  # the free port can be taken between probing and binding: try another
            self.port = free_port()
            started, last = self._start_server()
            if started:
                return self
        raise RuntimeError(f"pg_ctl start failed: {last.strip()}")

    def _start_server(self) -> tuple[bool, str]:
        """Start the server on `self.port`: (started, the log's end or pg_ctl's error)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        log = self.root / "log"
        started = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = started.returncode == 0
        return self.running, (log.read_text(errors="replace")[-500:] if log.exists() else "") or started.stderr

    def outage(self) -> None:
        """Stop the server as an outage would (connections cut, data kept); `recover()` starts it again."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def recover(self) -> None:
        """Start the server again after `outage()`, on the same port, with the same data."""
        started, last = self._start_server()
        if not started:
            raise RuntimeError(f"pg_ctl start failed: {last.strip()}")

    def create_database(self, name: str) -> str:
        """Create an empty database (dropping one of that name) and return its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        if self.running:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)


_SHARED: PostgresCluster | None = None
_SHARED_LOCK = threading.Lock()


def shared_cluster() -> PostgresCluster:
    """One cluster per process, started on first use and stopped at exit."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            cluster = PostgresCluster()
            try:
                cluster.start()
            except Exception:
                cluster.stop()
                raise
            atexit.register(cluster.stop)
            _SHARED = cluster
        return _SHARED


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """A private cluster for scripts (the benchmark): stopped and deleted when the block ends."""
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


try:
    import pytest
except ImportError:  # pragma: no cover - scripts may import this module without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def postgres_cluster() -> PostgresCluster:
        """The shared throwaway cluster; skips only when PostgreSQL is not installed at all."""
        if find_bindir() is None:
            pytest.skip("PostgreSQL server binaries not installed (Debian package `postgresql`)")
        return shared_cluster()
