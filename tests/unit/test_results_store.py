"""The results table (SQLite and PostgreSQL) and the `results` CLI."""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.database import Database, DatabaseError, default_sqlite_path, open_database, redact
from audio_pipeline.results_store import ResultsStore, row_from_attributes
from pipelinectl import results_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def store(db_url: str) -> ResultsStore:
    s = ResultsStore(Database(db_url))
    yield s
    s.close()


def flowfile(name: str = "song.mp3", **extra: str) -> dict[str, str]:
    attributes = {
        "uuid": str(uuid.uuid4()),
        attr.FILENAME: name,
        attr.SOURCE: "folder",
        attr.FORMAT: "mp3",
        attr.SHA256: "ab" * 32,
        attr.DURATION_SECONDS: "12.5",
        attr.ORIGINAL_SAMPLE_RATE: "44100",
        attr.ORIGINAL_CHANNELS: "2",
        attr.SAMPLE_RATE: "16000",
        attr.CHANNELS: "1",
    }
    attributes.update(extra)
    return attributes


def test_row_is_built_from_attributes() -> None:
    row = row_from_attributes(
        flowfile(
            **{
                attr.PESQ_MOS: "3.71",
                attr.QUALITY_LABEL: "good",
                attr.FINGERPRINT_MATCH: "track-1",
                attr.FINGERPRINT_SCORE: "0.42",
                attr.FINGERPRINT_OFFSET_SECONDS: "3.50",
                attr.DUPLICATE_OF: "",
                attr.CLASS: "speech",
                attr.CLASS_CONFIDENCE: "nan",
            }
        ),
        "ok",
    )
    assert row["sample_rate"] == 44100 and row["channels"] == 2  # the file's own, not the analysis form
    assert row["duration_seconds"] == 12.5
    assert row["pesq_mos"] == 3.71 and row["quality_label"] == "good"
    assert row["fingerprint_match"] == "track-1" and row["fingerprint_offset_seconds"] == 3.5
    assert row["duplicate_of"] is None  # empty attribute means none
    assert row["audio_class"] == "speech" and row["class_confidence"] is None  # not finite
    assert row["error"] is None
    quarantined = row_from_attributes(
        {"uuid": "u", attr.ERROR: "not_audio", attr.ERROR_DETAIL: "text file"}, "quarantined"
    )
    assert quarantined["error"] == "not_audio: text file"
    assert quarantined["sample_rate"] is None
    assert row_from_attributes({"uuid": "u", attr.SAMPLE_RATE: "8000"}, "ok")["sample_rate"] == 8000
    with pytest.raises(ValueError, match="status"):
        row_from_attributes(flowfile(), "done")
    with pytest.raises(ValueError, match="uuid"):
        row_from_attributes({attr.FILENAME: "x"}, "ok")


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


# ----------------------------------------------------------------------------------------- CLI


def test_parse_since_and_like_pattern() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert results_cli.parse_since("2h", now) == now - timedelta(hours=2)
    assert results_cli.parse_since("90s", now) == now - timedelta(seconds=90)
    assert results_cli.parse_since("1w", now) == now - timedelta(days=7)
    assert results_cli.parse_since("2024-04-30T10:00+00:00") == datetime(2024, 4, 30, 10, tzinfo=UTC)
    assert results_cli.parse_since("2024-04-30").tzinfo is not None
    with pytest.raises(Exception, match="duration"):
        results_cli.parse_since("yesterday")
    assert results_cli.like_pattern("take_1") == "%take\\_1%"
    assert results_cli.like_pattern("*.wav") == "%.wav"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RESULTS_DATABASE_URL", raising=False)
    return tmp_path


def test_cli_without_database_creates_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert results_cli.main([]) == 0
    assert "no results yet" in capsys.readouterr().err
    assert not default_sqlite_path(data_dir).exists()


def test_cli_lists_and_filters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ResultsStore.open("", data_dir)
    store.record(
        flowfile(
            "good_take.wav",
            **{
                attr.PESQ_MOS: "4.1",
                attr.QUALITY_LABEL: "good",
                attr.FINGERPRINT_MATCH: "track-7",
                attr.FINGERPRINT_OFFSET_SECONDS: "12.3",
            },
        ),
        "ok",
    )
    store.record(flowfile("broken.mp3", **{attr.SOURCE: "http"}), "quarantined", "corrupt_audio: truncated frame")
    store.close()

    assert results_cli.main(["-n", "5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["time", "status", "source", "file"]
    assert "broken.mp3" in table[2] and "corrupt_audio" in table[2]
    assert "good_take.wav" in table[3] and "4.10 good" in table[3] and "track-7 @12.3s" in table[3]

    assert results_cli.main(["--status", "quarantined", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["filename"] for line in lines] == ["broken.mp3"]

    assert results_cli.main(["--name", "take", "--source", "folder", "--since", "1h", "--json"]) == 0
    assert [json.loads(line)["filename"] for line in capsys.readouterr().out.splitlines()] == ["good_take.wav"]

    assert results_cli.main(["--name", "nothing-like-this"]) == 0
    assert "no matching results" in capsys.readouterr().err


def test_cli_reads_postgresql_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = request.getfixturevalue("postgres_cluster").create_database(f"cli_{uuid.uuid4().hex[:8]}")
    ResultsStore(Database(url)).record(flowfile("from-pg.wav"), "ok")
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESULTS_DATABASE_URL", url)
    assert results_cli.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["filename"] == "from-pg.wav"


def test_table_fits_narrow_terminals(data_dir: Path) -> None:
    store = ResultsStore.open("", data_dir)
    store.record(flowfile("a-very-long-file-name-" + "x" * 80 + ".wav"), "quarantined", "e" * 200)
    rows = store.recent()
    store.close()
    table = results_cli.render_table(rows, 100)
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "…" in table


# ----------------------------------------------------------------------------------------- database layer


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
