"""The results table in a real database: SQLite, then PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import results_search
from audio_pipeline.database import Cursor, Database, DatabaseError
from audio_pipeline.results_store import ADDED_COLUMNS, ResultsStore
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


# The results table as the first release created it (before the loudness columns of issue #16).
RESULTS_V1 = """CREATE TABLE results (
    id {id},
    flowfile_uuid TEXT NOT NULL UNIQUE,
    filename TEXT, source TEXT, format TEXT, sha256 TEXT, duration_seconds {float},
    sample_rate INTEGER, channels INTEGER, audio_class TEXT, class_confidence {float},
    pesq_mos {float}, quality_label TEXT, fingerprint_match TEXT, fingerprint_score {float},
    fingerprint_offset_seconds {float}, duplicate_of TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'quarantined')),
    error TEXT, created_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL
)"""

LOUDNESS = {
    attr.LOUDNESS_INTEGRATED_LUFS: "-23.1",
    attr.LOUDNESS_RANGE_LU: "5.5",
    attr.LOUDNESS_MOMENTARY_MAX_LUFS: "-16.0",
    attr.LOUDNESS_SHORT_TERM_MAX_LUFS: "-19.25",
    attr.LOUDNESS_TRUE_PEAK_DBTP: "-1.5",
    attr.LOUDNESS_PROFILE: "ebu-r128",
    attr.LOUDNESS_COMPLIANT: "true",
    attr.LOUDNESS_GAIN_DB: "0.1",
}


def _columns(db: Database) -> list[str]:
    sql = (
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'results' ORDER BY ordinal_position"
        if db.dialect == "postgresql"
        else "SELECT name FROM pragma_table_info('results')"
    )
    return [row[0] for row in db.read(lambda cur: cur.execute(sql).fetchall())]


def test_loudness_is_stored_and_filtered(store: ResultsStore) -> None:
    loud = store.record(flowfile("loud.wav", **LOUDNESS), "ok")
    assert (loud.loudness_integrated_lufs, loud.loudness_true_peak_dbtp, loud.loudness_gain_db) == (-23.1, -1.5, 0.1)
    assert (loud.loudness_range_lu, loud.loudness_momentary_max_lufs, loud.loudness_short_term_max_lufs) == (
        5.5,
        -16.0,
        -19.25,
    )
    assert loud.loudness_profile == "ebu-r128" and loud.loudness_compliant is True
    assert loud.as_dict()["loudness_compliant"] is True
    quiet = store.record(flowfile("quiet.wav", **{**LOUDNESS, attr.LOUDNESS_COMPLIANT: "false"}), "ok")
    assert quiet.loudness_compliant is False
    store.record(flowfile("old.wav"), "ok")  # before loudness: NULL, neither compliant nor not
    assert [r.filename for r in store.recent(compliant=False)] == ["quiet.wav"]
    assert [r.filename for r in store.recent(compliant=True)] == ["loud.wav"]
    assert store.recent(compliant=True, status="quarantined") == []
    # re-delivery without the loudness attributes keeps them, a new verdict replaces the old
    assert store.record({"uuid": loud.flowfile_uuid}, "ok").loudness_compliant is True
    again = store.record({"uuid": loud.flowfile_uuid, attr.LOUDNESS_COMPLIANT: "false"}, "ok")
    assert again.loudness_compliant is False and again.loudness_integrated_lufs == -23.1


def _open_and_record(url: str, k: int, barrier: object, results: object) -> None:
    try:
        barrier.wait()  # type: ignore[attr-defined]
        s = ResultsStore(Database(url))  # all of them migrate the old table at once
        s.record(flowfile(f"after-{k}.wav", **LOUDNESS), "ok")
        s.close()
        results.put((k, None))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put((k, repr(exc)))  # type: ignore[attr-defined]


def test_old_table_is_migrated_on_open(db_url: str) -> None:
    db = Database(db_url)
    stamp = db.timestamp(datetime(2024, 5, 1, 10, tzinfo=UTC))

    def old_version(cur: Cursor) -> None:
        cur.execute(db.ddl(RESULTS_V1))
        cur.execute(
            "INSERT INTO results (flowfile_uuid, filename, status, error, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ("old-1", "before.wav", "quarantined", "not_audio", stamp, stamp),
        )

    db.write(old_version)
    old_columns = _columns(db)
    workers = 4
    barrier, results = FORK.Barrier(workers), FORK.Queue()
    procs = [FORK.Process(target=_open_and_record, args=(db_url, k, barrier, results)) for k in range(workers)]
    for p in procs:
        p.start()
    errors = [results.get(timeout=120)[1] for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert errors == [None] * workers

    columns = _columns(db)
    assert columns[: len(old_columns)] == old_columns  # kept, new ones appended once each
    assert sorted(columns[len(old_columns) :]) == sorted(name for name, _ in ADDED_COLUMNS)
    store = ResultsStore(db)
    kept = store.get("old-1")
    assert kept is not None and (kept.filename, kept.status, kept.error) == ("before.wav", "quarantined", "not_audio")
    assert kept.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC) and kept.loudness_profile is None
    rows = store.recent(limit=100)
    assert len(rows) == workers + 1
    assert {r.filename for r in store.recent(compliant=True)} == {f"after-{k}.wav" for k in range(workers)}
    with pytest.raises(DatabaseError):  # the CHECK came along with the column
        db.write(lambda cur: cur.execute("UPDATE results SET loudness_compliant = 2 WHERE flowfile_uuid = 'old-1'"))
    if db.dialect == "postgresql":  # IF NOT EXISTS added no second CHECK either
        checks = db.read(
            lambda cur: cur.execute(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = 'results'::regclass AND contype = 'c'"
            ).fetchone()
        )
        assert checks == (2,)  # status and loudness_compliant
    store.close()


def _transcribed(name: str, text: str, language: str = "en", **extra: str) -> dict[str, str]:
    return flowfile(
        name,
        **{
            attr.TRANSCRIPT: text,
            attr.TRANSCRIPT_LANGUAGE: language,
            attr.TRANSCRIPT_LANGUAGE_PROBABILITY: "0.9",
            attr.TRANSCRIPT_WORDS: str(len(text.split())),
            attr.TRANSCRIPT_MODEL: "whisper-base",
            **extra,
        },
    )


def _names(store: ResultsStore, **filters: object) -> list[str | None]:
    return [r.filename for r in store.recent(**filters)]  # type: ignore[arg-type]


def test_transcripts_are_stored_and_searched(store: ResultsStore) -> None:
    first = store.record(_transcribed("a.wav", "The budget Meeting starts at nine."), "ok")
    assert (first.transcript_language, first.transcript_words, first.transcript_model) == ("en", 6, "whisper-base")
    store.record(_transcribed("b.wav", "Das Meeting beginnt um neun", "de", **{attr.SOURCE: "http"}), "ok")
    store.record(_transcribed("c.wav", "Café au lait", "fr"), "quarantined", "pesq_error")
    assert store.record(_transcribed("d.wav", "", "en"), "ok").transcript == ""  # no words, but transcribed
    store.record(flowfile("tone.wav"), "ok")
    assert _names(store, text="meeting") == ["b.wav", "a.wav"]
    assert _names(store, text="nine MEETING") == ["a.wav"]
    assert _names(store, text="meeting tomorrow") == []
    assert _names(store, text="café") == ["c.wav"] and _names(store, text="cafe") == []  # the same in both
    assert _names(store, text="meeting", source="http", status="ok") == ["b.wav"]
    assert _names(store, text="meeting", filename_like="a%", since=datetime.now(UTC) - timedelta(minutes=1)) == [
        "a.wav"
    ]
    assert _names(store, text="lait", status="ok") == []
    for operators in ("meeting & !nine", "meeting | lait", "'meeting", "meet:*", '"NEAR(', "!!", ""):
        store.recent(text=operators)  # neither FTS5 nor tsquery syntax: no error
    assert _names(store, text="meeting | lait") == []
    store.record({"uuid": first.flowfile_uuid, attr.TRANSCRIPT: "rescheduled to ten"}, "ok")  # re-delivery
    assert _names(store, text="nine") == [] and _names(store, text="ten") == ["a.wav"]
    assert store.record({"uuid": first.flowfile_uuid}, "ok").transcript == "rescheduled to ten"


def _uses_the_search_index(db: Database) -> bool:
    """PostgreSQL's plan for the text filter, sequential scans discouraged: the GIN index, not a scan."""

    def plan(cur: Cursor) -> str:
        cur.execute("SET LOCAL enable_seqscan = off")
        sql, params = results_search.condition("postgresql", "meeting")
        return "\n".join(
            row[0] for row in cur.execute(f"EXPLAIN SELECT id FROM results WHERE {sql}", params).fetchall()
        )

    return results_search.INDEX in db.write(plan)


# The results table as the loudness release (issue #16) created it: before the transcript columns.
RESULTS_V2 = RESULTS_V1.replace(
    "fingerprint_offset_seconds {float}, duplicate_of TEXT,",
    "fingerprint_offset_seconds {float}, duplicate_of TEXT, "
    + ", ".join(f"{name} {kind}" for name, kind in ADDED_COLUMNS if name.startswith("loudness_"))
    + ",",
)


def _open_and_record_transcript(url: str, k: int, barrier: object, results: object) -> None:
    try:
        barrier.wait()  # type: ignore[attr-defined]
        s = ResultsStore(Database(url))  # all of them migrate the old table at once
        s.record(_transcribed(f"after-{k}.wav", f"spoken words number{k}"), "ok")
        s.close()
        results.put((k, None))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put((k, repr(exc)))  # type: ignore[attr-defined]


def test_loudness_era_table_gets_transcripts_and_search_on_open(db_url: str) -> None:
    db = Database(db_url)
    stamp = db.timestamp(datetime(2024, 5, 1, 10, tzinfo=UTC))

    def old_version(cur: Cursor) -> None:
        cur.execute(db.ddl(RESULTS_V2))
        cur.execute(
            "INSERT INTO results (flowfile_uuid, filename, loudness_profile, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ("old-1", "before.wav", "ebu-r128", "ok", stamp, stamp),
        )

    db.write(old_version)
    old_columns = _columns(db)
    assert "loudness_gain_db" in old_columns and "transcript" not in old_columns
    workers = 4
    barrier, results = FORK.Barrier(workers), FORK.Queue()
    procs = [
        FORK.Process(target=_open_and_record_transcript, args=(db_url, k, barrier, results)) for k in range(workers)
    ]
    for p in procs:
        p.start()
    errors = [results.get(timeout=120)[1] for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert errors == [None] * workers

    columns = _columns(db)
    assert columns[: len(old_columns)] == old_columns
    assert columns[len(old_columns) :] == [name for name, _ in ADDED_COLUMNS if name not in old_columns]
    store = ResultsStore(db)
    kept = store.get("old-1")
    assert kept is not None and kept.loudness_profile == "ebu-r128" and kept.transcript is None
    assert sorted(_names(store, text="spoken words")) == [f"after-{k}.wav" for k in range(workers)]
    assert _names(store, text="number2") == ["after-2.wav"]
    if db.dialect == "postgresql":
        assert _uses_the_search_index(db)
    else:  # FTS5's own check: the index holds exactly the table's text, the row from before included
        table = results_search.FTS_TABLE
        db.write(lambda cur: cur.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"))
    store.close()
