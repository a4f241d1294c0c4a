"""The database layer on SQLite files: URLs, redaction, a connection per process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from audio_pipeline.database import Database, open_database, redact
from audio_pipeline.results_store import ResultsStore
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
