"""Transcripts in the results table and their full-text search, on SQLite (FTS5). PostgreSQL:
tests/services/audio_pipeline/test_results_store.py."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import results_search
from audio_pipeline.database import Database
from audio_pipeline.results_store import ADDED_COLUMNS, ResultsStore
from support.finished_flowfiles import flowfile

FORK = multiprocessing.get_context("fork")


def transcribed(name: str, text: str, language: str = "en", **extra: str) -> dict[str, str]:
    return flowfile(
        name,
        **{
            attr.TRANSCRIPT: text,
            attr.TRANSCRIPT_LANGUAGE: language,
            attr.TRANSCRIPT_LANGUAGE_PROBABILITY: "0.97",
            attr.TRANSCRIPT_WORDS: str(len(text.split())),
            attr.TRANSCRIPT_MODEL: "whisper-base",
            attr.TRANSCRIPT_MODEL_VERSION: "20231117",
            attr.TRANSCRIPT_SEGMENTS: "[]",
            **extra,
        },
    )


@pytest.fixture
def store(tmp_path: Path):
    s = ResultsStore(Database(f"sqlite:///{tmp_path}/state/pipeline.db"))
    yield s
    s.close()


def _names(store: ResultsStore, **filters: object) -> list[str | None]:
    return [r.filename for r in store.recent(**filters)]  # type: ignore[arg-type]


def _fts_consistent(store: ResultsStore) -> None:
    """FTS5's own check that the index holds exactly the content table's text (raises otherwise)."""
    table = results_search.FTS_TABLE
    store.db.write(lambda cur: cur.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"))


def test_transcript_columns_are_stored(store: ResultsStore) -> None:
    row = store.record(transcribed("talk.wav", "Hello there, General Kenobi", "en"), "ok")
    assert (row.transcript, row.transcript_language, row.transcript_language_probability) == (
        "Hello there, General Kenobi",
        "en",
        0.97,
    )
    assert (row.transcript_words, row.transcript_model, row.transcript_model_version) == (4, "whisper-base", "20231117")
    silent = store.record(transcribed("hum.wav", "", "de"), "ok")
    assert (silent.transcript, silent.transcript_words) == ("", 0)  # transcribed, no words: not NULL
    tone = store.record(flowfile("tone.wav"), "ok")
    assert tone.transcript is None and tone.transcript_language is None  # not transcribed


def test_text_search_matches_all_words_in_any_order_and_case(store: ResultsStore) -> None:
    store.record(transcribed("a.wav", "The budget meeting starts at nine."), "ok")
    store.record(transcribed("b.wav", "Das Meeting beginnt um neun", "de"), "ok")
    store.record(transcribed("c.wav", "Café au lait, s'il vous plaît", "fr"), "quarantined")
    store.record(flowfile("tone.wav"), "ok")
    assert _names(store, text="meeting") == ["b.wav", "a.wav"]
    assert _names(store, text="NINE meeting") == ["a.wav"]
    assert _names(store, text="meeting tomorrow") == []  # every word must be there
    assert _names(store, text="café") == ["c.wav"] and _names(store, text="cafe") == []  # as PostgreSQL 'simple'
    assert _names(store, text="meeting", source="folder", status="ok", filename_like="%b%") == ["b.wav"]
    assert _names(store, text="lait", status="ok") == []
    for operators in ('"meeting', "meeting AND", "meet*", "NEAR(meeting)", "transcript: meeting", "-", ""):
        store.recent(text=operators)  # no FTS5 syntax error: punctuation only separates words
    assert _names(store, text="meeting OR lait") == []  # OR is a word here, not an operator
    assert _names(store, text="!!") == []  # no words: nothing matches


def test_redelivery_keeps_the_search_in_step(store: ResultsStore) -> None:
    first = store.record(transcribed("a.wav", "first words"), "ok")
    uuid = first.flowfile_uuid
    assert store.record({"uuid": uuid}, "ok").transcript == "first words"  # a missing attribute erases nothing
    assert _names(store, text="first") == ["a.wav"]
    store.record({"uuid": uuid, attr.TRANSCRIPT: "second take"}, "ok")
    assert _names(store, text="first") == [] and _names(store, text="second take") == ["a.wav"]
    store.record({"uuid": uuid, attr.TRANSCRIPT: ""}, "ok")
    assert _names(store, text="second") == []
    store.record(transcribed("b.wav", "other words"), "ok")
    store.db.write(lambda cur: cur.execute("DELETE FROM results WHERE flowfile_uuid = ?", (uuid,)))
    assert _names(store, text="words") == ["b.wav"]
    _fts_consistent(store)


# The results table as the loudness release (issue #16) created it: before the transcript columns.
RESULTS_V2 = """CREATE TABLE results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flowfile_uuid TEXT NOT NULL UNIQUE,
    filename TEXT, source TEXT, format TEXT, sha256 TEXT, duration_seconds REAL,
    sample_rate INTEGER, channels INTEGER, audio_class TEXT, class_confidence REAL,
    pesq_mos REAL, quality_label TEXT, fingerprint_match TEXT, fingerprint_score REAL,
    fingerprint_offset_seconds REAL, duplicate_of TEXT,
    loudness_integrated_lufs REAL, loudness_range_lu REAL, loudness_momentary_max_lufs REAL,
    loudness_short_term_max_lufs REAL, loudness_true_peak_dbtp REAL, loudness_profile TEXT,
    loudness_compliant INTEGER CHECK (loudness_compliant IN (0, 1)), loudness_gain_db REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'quarantined')),
    error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
)"""


def _open_and_record(url: str, k: int, q: object) -> None:
    try:
        store = ResultsStore(Database(url))  # all of them migrate the old table at once
        store.record(transcribed(f"after-{k}.wav", f"spoken words number{k}"), "ok")
        store.close()
        q.put(None)  # type: ignore[attr-defined]
    except Exception as exc:
        q.put(repr(exc))  # type: ignore[attr-defined]


def test_a_loudness_era_table_gets_the_transcript_columns_and_search(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(RESULTS_V2)
        conn.execute(
            "INSERT INTO results (flowfile_uuid, filename, loudness_profile, status, created_at, updated_at) VALUES "
            "('old-1', 'old.wav', 'ebu-r128', 'ok', '2024-05-01T10:00:00.000000Z', '2024-05-01T10:00:00.000000Z')"
        )
    conn.close()
    url = f"sqlite:///{path}"
    q = FORK.Queue()
    procs = [FORK.Process(target=_open_and_record, args=(url, k, q)) for k in range(3)]
    for p in procs:
        p.start()
    assert [q.get(timeout=60) for _ in procs] == [None] * 3
    for p in procs:
        p.join(timeout=30)
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(results)")]
    conn.close()
    assert [c for c, _ in ADDED_COLUMNS if c not in columns] == [] and len(columns) == len(set(columns))
    store = ResultsStore(Database(url))
    old = store.get("old-1")
    assert old is not None and old.loudness_profile == "ebu-r128" and old.transcript is None
    assert sorted(_names(store, text="spoken words")) == ["after-0.wav", "after-1.wav", "after-2.wav"]
    assert _names(store, text="number1") == ["after-1.wav"]
    _fts_consistent(store)
    store.close()


def test_search_conditions() -> None:
    assert results_search.words("Hello, wörld! foo_bar 3.5") == ["Hello", "wörld", "foo", "bar", "3", "5"]
    assert results_search.condition("sqlite", "a AND b")[1] == ['"a" "AND" "b"']
    assert results_search.condition("postgresql", "a, b")[1] == ["a b"]
    assert results_search.condition("sqlite", "--") == ("1 = 0", [])
