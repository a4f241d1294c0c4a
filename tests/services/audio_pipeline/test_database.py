"""The database layer against SQLite and a real PostgreSQL: errors, rollback, reconnects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from audio_pipeline.database import Database, DatabaseError
from audio_pipeline.results_store import ResultsStore
from support.finished_flowfiles import flowfile


def test_database_errors_are_wrapped_and_caller_errors_are_not(db_url: str) -> None:
    db = Database(db_url)
    with pytest.raises(DatabaseError, match="no_such_table"):
        db.read(lambda cur: cur.execute("SELECT * FROM no_such_table").fetchall())

    def fail(cur: object) -> None:
        raise KeyError("mine")

    with pytest.raises(KeyError):
        db.write(fail)
    assert db.read(lambda cur: cur.execute("SELECT 1").fetchone()) == (1,)  # still usable
    db.close()


def test_write_is_rolled_back_on_error(store: ResultsStore) -> None:
    def half(cur: object) -> None:
        cur.execute(
            "INSERT INTO results (flowfile_uuid, status, created_at, updated_at) "  # type: ignore[attr-defined]
            "VALUES ('half', 'ok', ?, ?)",
            (store.db.timestamp(datetime.now(UTC)),) * 2,
        )
        raise RuntimeError("after the insert")

    with pytest.raises(RuntimeError):
        store.db.write(half)
    assert store.get("half") is None


def test_postgresql_reconnects_after_a_dropped_connection(request: pytest.FixtureRequest) -> None:
    import psycopg

    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database(f"drop_{uuid.uuid4().hex[:8]}")
    store = ResultsStore(Database(url))
    store.record(flowfile("before.wav"), "ok")
    pid = store.db.read(lambda cur: cur.execute("SELECT pg_backend_pid()").fetchone()[0])
    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    store.record(flowfile("after.wav"), "ok")  # retried on a fresh connection
    assert [r.filename for r in store.recent()] == ["after.wav", "before.wav"]
    store.close()
