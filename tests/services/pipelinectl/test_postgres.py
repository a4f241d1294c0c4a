"""The results database (pipelinectl.services.postgres) as a real server: password login over TCP,
durable across a restart, stopped clean."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pipelinectl import process_supervision
from pipelinectl.ports import free_port
from pipelinectl.services import postgres
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (the postmaster's background processes)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    if postgres.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package `postgresql`)")
    # Not under pytest's 0700 temp root: as root, the server runs as `postgres`, which must pass through.
    data = Path(tempfile.mkdtemp(prefix="pg-service-"))
    yield load({"PIPELINE_DATA_DIR": str(data), "POSTGRES_PORT": str(free_port()), "NIFI_CLUSTER_NODES": "2"})
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[Service]:
    service = postgres.service(settings)
    service.start()
    postgres.ensure_database(settings)
    postgres.ensure_database(settings)  # idempotent
    yield service
    service.stop()


def connect(settings: Settings, password: str | None = None) -> psycopg.Connection:
    return psycopg.connect(
        postgres.database_url(settings),
        password=postgres.database_password(settings) if password is None else password,
        connect_timeout=5,
    )


def test_the_role_logs_in_with_its_password_over_tcp(settings: Settings, service: Service) -> None:
    assert service.is_ready()
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT current_user, current_database(), inet_server_addr()::text, current_setting('fsync')"
        )
        assert row.fetchone() == ("audio_pipeline", "audio_pipeline", "127.0.0.1/32", "on")


def test_a_wrong_password_is_refused(settings: Settings, service: Service) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(settings, password="not-the-password")


def test_the_superuser_cannot_log_in_over_tcp(settings: Settings, service: Service) -> None:
    url = f"postgresql://postgres@127.0.0.1:{settings.postgres_port}/postgres"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, password="", connect_timeout=5)


def test_the_socket_folder_is_private(settings: Settings, service: Service) -> None:
    assert stat.S_IMODE(postgres.socket_dir(settings).stat().st_mode) == 0o700
    assert stat.S_IMODE(postgres.home(settings).stat().st_mode) == 0o700


def test_a_row_survives_a_restart_and_stop_leaves_no_process(settings: Settings, service: Service) -> None:
    with connect(settings) as conn:
        conn.execute("CREATE TABLE kept (name text PRIMARY KEY)")
        conn.execute("INSERT INTO kept VALUES ('clip.wav')")
    postmaster = service.pid()
    assert postmaster is not None
    helpers = children(postmaster)
    assert helpers  # checkpointer, walwriter, ...
    assert service.stop()
    assert not any(process_supervision.process_alive(pid) for pid in [postmaster, *helpers])
    assert not postgres.is_accepting(settings)

    service.start()
    postgres.ensure_database(settings)
    with connect(settings) as conn:
        assert conn.execute("SELECT name FROM kept").fetchall() == [("clip.wav",)]
    assert service.stop()
    assert not service.is_running()
