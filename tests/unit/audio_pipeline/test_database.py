"""The database layer on SQLite files: URLs, redaction, a connection per process."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.database import Cursor, Database, DatabaseError, open_database, redact
from audio_pipeline.results_store import ADDED_COLUMNS, ResultsStore
from support.finished_flowfiles import flowfile

FORK = multiprocessing.get_context("fork")


def test_connection_is_not_shared_across_fork(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    store = ResultsStore(db)
    store.record(flowfile("parent.wav"), "ok")
    parent_conn = db._conn

    def child(q: object) -> None:
        try:
            store.record(flowfile("child.wav"), "ok")
            q.put(db._conn is not parent_conn)  # type: ignore[attr-defined]
        except Exception as exc:
            q.put(repr(exc))  # type: ignore[attr-defined]

    q = FORK.Queue()
    p = FORK.Process(target=child, args=(q,))
    p.start()
    assert q.get(timeout=60) is True
    p.join(timeout=30)
    assert {r.filename for r in store.recent()} == {"parent.wav", "child.wav"}


def test_redact_and_urls(tmp_path: Path) -> None:
    assert redact("postgresql://user:secret@db:5432/x") == "postgresql://user:***@db:5432/x"
    assert redact("postgresql://user@db/x") == "postgresql://user@db/x"
    assert open_database(f"sqlite:///{tmp_path}/a/b.db").path == tmp_path / "a" / "b.db"
    assert Database("postgresql://u@h/x").dialect == "postgresql"
    assert "secret" not in repr(Database("postgresql://u:secret@h/x"))


# The results table as the first release created it (before the loudness columns of issue #16).
RESULTS_V1 = """CREATE TABLE results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flowfile_uuid TEXT NOT NULL UNIQUE,
    filename TEXT, source TEXT, format TEXT, sha256 TEXT, duration_seconds REAL,
    sample_rate INTEGER, channels INTEGER, audio_class TEXT, class_confidence REAL,
    pesq_mos REAL, quality_label TEXT, fingerprint_match TEXT, fingerprint_score REAL,
    fingerprint_offset_seconds REAL, duplicate_of TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'quarantined')),
    error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
)"""


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(results)")]


def _open_store(url: str, q: object) -> None:
    try:
        store = ResultsStore(Database(url))
        store.record(flowfile("child.wav"), "ok")
        store.close()
        q.put(None)  # type: ignore[attr-defined]
    except Exception as exc:
        q.put(repr(exc))  # type: ignore[attr-defined]


def test_old_results_table_gets_the_new_columns_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(RESULTS_V1)
        conn.execute(
            "INSERT INTO results (flowfile_uuid, filename, status, created_at, updated_at) "
            "VALUES ('old-1', 'old.wav', 'ok', '2024-05-01T10:00:00.000000Z', '2024-05-01T10:00:00.000000Z')"
        )
    conn.close()
    url = f"sqlite:///{path}"
    q = FORK.Queue()
    procs = [FORK.Process(target=_open_store, args=(url, q)) for _ in range(3)]  # migrating at once
    for p in procs:
        p.start()
    assert [q.get(timeout=60) for _ in procs] == [None] * 3
    for p in procs:
        p.join(timeout=30)
    columns = _columns(path)
    assert [c for c, _ in ADDED_COLUMNS if c not in columns] == [] and len(columns) == len(set(columns))

    store = ResultsStore(Database(url))  # a migrated table opens again without change
    old = store.get("old-1")
    assert old is not None and old.filename == "old.wav" and old.loudness_integrated_lufs is None
    assert old.loudness_compliant is None
    new = store.record(
        flowfile("new.wav", **{attr.LOUDNESS_INTEGRATED_LUFS: "-14.2", attr.LOUDNESS_COMPLIANT: "false"}), "ok"
    )
    assert (new.loudness_integrated_lufs, new.loudness_compliant) == (-14.2, False)
    assert [r.filename for r in store.recent(compliant=False)] == ["new.wav"]
    assert len(store.recent()) == 5
    store.close()
    assert _columns(path) == columns


def test_a_column_added_meanwhile_is_not_an_error(tmp_path: Path) -> None:
    """SQLite has no ADD COLUMN IF NOT EXISTS: a column that appeared after the check is accepted."""
    db = Database(f"sqlite:///{tmp_path}/x.db")
    db.write(lambda cur: cur.execute("CREATE TABLE t (a INTEGER)"))

    def stale_check(cur: Cursor) -> None:
        cur.execute("ALTER TABLE t ADD COLUMN b REAL")  # another process, between check and ALTER
        real_execute = cur.execute

        def execute(sql: str, params: Sequence[Any] = ()) -> Cursor:
            if "pragma_table_info" in sql:
                return real_execute("SELECT 'a'")  # what the check saw before
            return real_execute(sql, params)

        cur.execute = execute  # type: ignore[method-assign]
        db._add_missing_columns(cur, "t", [("b", "{float}"), ("c", "TEXT")])

    db.write(stale_check)
    assert _columns_of(db, "t") == ["a", "b", "c"]
    with pytest.raises(DatabaseError):
        db.write(lambda cur: db._add_missing_columns(cur, "missing_table_x", [("b", "TEXT")]))
    db.close()


def _columns_of(db: Database, table: str) -> list[str]:
    return [
        row[0] for row in db.read(lambda cur: cur.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall())
    ]
