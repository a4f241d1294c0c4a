"""The results table in a real database: SQLite, then PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from datetime import UTC, datetime, timedelta

from audio_pipeline import attributes as attr
from audio_pipeline.database import Database
from audio_pipeline.results_store import ResultsStore
from support.finished_flowfiles import flowfile

from pipelinectl import results as results_cli

FORK = multiprocessing.get_context("fork")


def test_record_and_redelivery_upsert(store: ResultsStore) -> None:
    ff = flowfile()
    first = store.record(ff, "ok")
    assert first.flowfile_uuid == ff["uuid"] and first.status == "ok"
    assert first.created_at.tzinfo is not None
    time.sleep(0.01)
    later = dict(ff)
    del later[attr.DURATION_SECONDS]  # missing now: keeps the earlier value
    later[attr.PESQ_MOS] = "2.5"
    second = store.record(later, "quarantined", "pesq_error")
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert second.duration_seconds == 12.5
    assert second.pesq_mos == 2.5
    assert (second.status, second.error) == ("quarantined", "pesq_error")
    third = store.record(ff, "ok")
    assert (third.status, third.error) == ("ok", None)  # status and error always follow the latest
    assert store.get(ff["uuid"]) == third
    assert store.get("missing") is None
    assert len(store.recent()) == 1


def test_recent_filters(store: ResultsStore) -> None:
    store.record(flowfile("Alpha_one.wav", **{attr.SOURCE: "http"}), "ok")
    store.record(flowfile("beta.mp3"), "quarantined", "not_audio")
    store.record(flowfile("alpha-two.flac"), "ok")
    store.record(flowfile("gamma%.ogg", **{attr.SOURCE: "http"}), "ok")
    names = [r.filename for r in store.recent()]
    assert names == ["gamma%.ogg", "alpha-two.flac", "beta.mp3", "Alpha_one.wav"]  # newest first
    assert [r.filename for r in store.recent(limit=2)] == ["gamma%.ogg", "alpha-two.flac"]
    assert [r.filename for r in store.recent(status="quarantined")] == ["beta.mp3"]
    assert [r.filename for r in store.recent(source="http")] == ["gamma%.ogg", "Alpha_one.wav"]
    assert [r.filename for r in store.recent(filename_like="alpha%")] == ["alpha-two.flac", "Alpha_one.wav"]
    assert [r.filename for r in store.recent(filename_like=results_cli.like_pattern("a_o"))] == ["Alpha_one.wav"]
    assert [r.filename for r in store.recent(filename_like=results_cli.like_pattern("%"))] == ["gamma%.ogg"]
    assert [r.filename for r in store.recent(filename_like=results_cli.like_pattern("*.mp?"))] == ["beta.mp3"]
    assert store.recent(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert len(store.recent(since=datetime.now(UTC) - timedelta(minutes=1))) == 4
    assert len(store.recent(since=datetime.now() - timedelta(minutes=1))) == 4  # naive = local time
    assert store.recent(status="ok", source="folder", filename_like="%two%")[0].filename == "alpha-two.flac"


def _record_worker(url: str, k: int, shared_uuid: str, barrier: object, results: object) -> None:
    try:
        s = ResultsStore(Database(url))
        barrier.wait()  # type: ignore[attr-defined]
        for i in range(5):
            s.record(flowfile(f"shared-{k}-{i}.wav", uuid=shared_uuid), "ok")  # re-delivery of one FlowFile
            s.record(flowfile(f"own-{k}-{i}.wav"), "ok")
        results.put((k, None))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put((k, repr(exc)))  # type: ignore[attr-defined]


def test_concurrent_writers_make_one_row_per_flowfile(db_url: str) -> None:
    store = ResultsStore(Database(db_url))
    shared = str(uuid.uuid4())
    workers = 4
    barrier, results = FORK.Barrier(workers), FORK.Queue()
    procs = [FORK.Process(target=_record_worker, args=(db_url, k, shared, barrier, results)) for k in range(workers)]
    for p in procs:
        p.start()
    errors = [results.get(timeout=120)[1] for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert errors == [None] * workers
    rows = store.recent(limit=1000)
    assert len(rows) == workers * 5 + 1
    assert sum(r.flowfile_uuid == shared for r in rows) == 1
    store.close()
