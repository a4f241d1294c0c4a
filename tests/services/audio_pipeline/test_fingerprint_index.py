"""The catalog index on SQLite and on a throwaway PostgreSQL, including concurrent writer processes."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline import chromaprint
from audio_pipeline.database import Database, DatabaseError, default_sqlite_path, open_database
from audio_pipeline.fingerprint_index import FingerprintIndex
from audio_pipeline.landmarks import DEFAULT_PARAMS, LandmarkParams

from bench.synthetic_music import add_noise, mp3_roundtrip, synth_music, synth_texture

RATE = 16000
FORK = multiprocessing.get_context("fork")


def catalog_audio(k: int) -> np.ndarray:
    return synth_texture(400 + k, 20.0) if k % 4 == 3 else synth_music(300 + k, 20.0)


@pytest.fixture(scope="module")
def catalog() -> dict[str, np.ndarray]:
    return {f"track-{k}": catalog_audio(k) for k in range(5)}


@pytest.fixture
def index(db_url: str, catalog: dict[str, np.ndarray]) -> FingerprintIndex:
    idx = FingerprintIndex(Database(db_url))
    for name, samples in catalog.items():
        idx.register_track(name, samples, RATE)
    yield idx
    idx.close()


def excerpt(x: np.ndarray, start: float, seconds: float) -> np.ndarray:
    return x[int(start * RATE) : int((start + seconds) * RATE)]


# ----------------------------------------------------------------------------------------- matching


def test_excerpts_match_their_track_and_offset(index: FingerprintIndex, catalog: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(1)
    for name, samples in catalog.items():
        start = float(rng.uniform(0, 14))
        found = index.match(excerpt(samples, start, 5.0), RATE)
        assert found is not None and found.track_id == name
        assert found.offset_seconds == pytest.approx(start, abs=0.05)
        assert found.score >= index.min_hits
        assert 0 < found.confidence <= 1
        assert found.score >= index.min_margin * found.runner_up


def test_degraded_excerpts_still_match(index: FingerprintIndex, catalog: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(2)
    samples = catalog["track-1"]
    noisy = index.match(add_noise(excerpt(samples, 3.0, 10.0), 0.0, rng), RATE)
    assert noisy is not None and noisy.track_id == "track-1"
    mp3 = index.match(mp3_roundtrip(excerpt(samples, 9.0, 5.0)), RATE)
    assert mp3 is not None and mp3.track_id == "track-1"


def test_audio_outside_the_catalog_does_not_match(index: FingerprintIndex) -> None:
    for k, other in enumerate([synth_music(900, 10.0), synth_texture(901, 10.0), np.zeros(5 * RATE, np.float32)]):
        assert index.match(other, RATE) is None, k
    assert index.match(np.zeros(0, np.float32), RATE) is None


def test_register_replaces_and_remove_forgets(index: FingerprintIndex, catalog: dict[str, np.ndarray]) -> None:
    assert index.tracks() == sorted(catalog)
    replacement = synth_music(777, 20.0)
    stored = index.register_track("track-0", replacement, RATE)
    assert stored > 1000
    assert index.tracks() == sorted(catalog)  # same id, no new track
    assert index.match(excerpt(catalog["track-0"], 5.0, 5.0), RATE) is None
    found = index.match(excerpt(replacement, 5.0, 5.0), RATE)
    assert found is not None and found.track_id == "track-0"
    rows = index.db.read(
        lambda cur: cur.execute(
            "SELECT COUNT(*) FROM fp_landmarks l JOIN fp_tracks t ON t.id = l.track WHERE t.track_id = 'track-0'"
        ).fetchone()
    )
    assert rows == (stored,)
    assert index.remove_track("track-0") is True
    assert index.remove_track("track-0") is False
    assert index.match(excerpt(replacement, 5.0, 5.0), RATE) is None
    with pytest.raises(ValueError):
        index.register_track("", replacement, RATE)


def test_candidates_are_ranked(index: FingerprintIndex, catalog: dict[str, np.ndarray]) -> None:
    ranked = index.candidates(excerpt(catalog["track-2"], 1.0, 5.0), RATE, limit=3)
    assert ranked[0].track_id == "track-2"
    assert all(a.score >= b.score for a, b in itertools.pairwise(ranked))


def test_other_landmark_parameters_are_refused(index: FingerprintIndex) -> None:
    other = FingerprintIndex(index.db, params=LandmarkParams(fan_out=DEFAULT_PARAMS.fan_out + 1))
    with pytest.raises(DatabaseError, match="other landmark parameters"):
        other.register_track("x", synth_music(5, 5.0), RATE)
    with pytest.raises(DatabaseError, match="other landmark parameters"):
        other.match(synth_music(5, 5.0), RATE)


def test_sqlite_default_location_and_wal(tmp_path: Path) -> None:
    db = open_database("", tmp_path)
    assert db.path == default_sqlite_path(tmp_path) == tmp_path / "state" / "pipeline.db"
    FingerprintIndex(db)
    assert db.read(lambda cur: cur.execute("PRAGMA journal_mode").fetchone()) == ("wal",)
    assert db.read(lambda cur: cur.execute("PRAGMA busy_timeout").fetchone())[0] >= 10_000
    with pytest.raises(DatabaseError):
        open_database("mysql://x")
    with pytest.raises(DatabaseError):
        open_database("")


# ----------------------------------------------------------------------------------------- duplicates


def _reencoded(samples: np.ndarray) -> str:
    return chromaprint.fingerprint(mp3_roundtrip(samples, "128k"), RATE).encoded


def test_duplicates_by_bytes_and_by_audio(index: FingerprintIndex, catalog: dict[str, np.ndarray]) -> None:
    original = chromaprint.fingerprint(catalog["track-1"], RATE).encoded
    assert index.check_duplicate(original, "sha-a", "a.wav") is None
    # the same FlowFile again is not a duplicate of itself
    assert index.check_duplicate(original, "sha-a", "a.wav") is None
    # same bytes under another name
    assert index.find_duplicate(original, "sha-a", "copy.wav") == "a.wav"
    # same audio re-encoded: other bytes
    assert index.find_duplicate(_reencoded(catalog["track-1"]), "sha-b", "b.mp3") == "a.wav"
    # other audio, and an excerpt of the same audio, are not duplicates
    other = chromaprint.fingerprint(catalog["track-2"], RATE).encoded
    assert index.find_duplicate(other, "sha-c", "c.wav") is None
    part = chromaprint.fingerprint(excerpt(catalog["track-1"], 0.0, 8.0), RATE).encoded
    assert index.find_duplicate(part, "sha-d", "d.wav") is None
    # remember is idempotent
    index.remember(other, "sha-c", "c.wav")
    index.remember(other, "sha-c", "c.wav")
    assert index.find_duplicate(other, "sha-e", "e.wav") == "c.wav"
    count = index.db.read(lambda cur: cur.execute("SELECT COUNT(*) FROM fp_files").fetchone())
    assert count == (2,)


def test_silence_is_never_a_duplicate(index: FingerprintIndex) -> None:
    silence = chromaprint.fingerprint(np.zeros(10 * RATE, np.float32), RATE).encoded
    assert index.check_duplicate(silence, "sha-1", "quiet1.wav") is None
    assert index.check_duplicate(silence, "sha-2", "quiet2.wav") is None
    assert index.check_duplicate("", "sha-3", "empty.wav") is None


# ----------------------------------------------------------------------------------------- processes


def _register_worker(url: str, k: int, barrier: object, results: object) -> None:
    try:
        idx = FingerprintIndex(Database(url))
        barrier.wait()  # type: ignore[attr-defined]
        for j in (2 * k, 2 * k + 1):
            idx.register_track(f"p-{j}", catalog_audio(10 + j), RATE)
        shared = idx.register_track("shared", synth_music(600 + k, 12.0), RATE)
        results.put((k, shared, None))  # type: ignore[attr-defined]
    except Exception as exc:  # report, so the parent fails with the reason
        results.put((k, 0, repr(exc)))  # type: ignore[attr-defined]


def _duplicate_worker(url: str, k: int, fingerprint: str, barrier: object, results: object) -> None:
    try:
        idx = FingerprintIndex(Database(url))
        barrier.wait()  # type: ignore[attr-defined]
        results.put((k, idx.check_duplicate(fingerprint, f"sha-{k}", f"copy-{k}.wav"), None))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put((k, None, repr(exc)))  # type: ignore[attr-defined]


def _run_workers(target: object, args: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    barrier = FORK.Barrier(len(args))
    results = FORK.Queue()
    procs = [FORK.Process(target=target, args=(*a, barrier, results)) for a in args]  # type: ignore[arg-type]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    errors = [r[-1] for r in out if r[-1]]
    assert not errors, errors
    return sorted(out, key=lambda r: r[0])  # type: ignore[arg-type, return-value]


WORKERS = 4


def test_concurrent_registration_from_processes(db_url: str) -> None:
    index = FingerprintIndex(Database(db_url))
    out = _run_workers(_register_worker, [(db_url, k) for k in range(WORKERS)])
    assert index.tracks() == sorted([f"p-{j}" for j in range(2 * WORKERS)] + ["shared"])
    for j in range(2 * WORKERS):
        found = index.match(excerpt(catalog_audio(10 + j), 4.0, 5.0), RATE)
        assert found is not None and found.track_id == f"p-{j}"
    # "shared" was registered by every worker at once: exactly one version survived, whole.
    winners = [
        k
        for k in range(WORKERS)
        if (m := index.match(excerpt(synth_music(600 + k, 12.0), 2.0, 6.0), RATE)) and m.track_id == "shared"
    ]
    assert len(winners) == 1
    stored = index.db.read(
        lambda cur: cur.execute(
            "SELECT t.hashes, COUNT(*) FROM fp_landmarks l JOIN fp_tracks t ON t.id = l.track "
            "WHERE t.track_id = 'shared' GROUP BY t.hashes"
        ).fetchall()
    )
    assert stored == [(out[winners[0]][1], out[winners[0]][1])]
    index.close()


def test_concurrent_duplicate_checks_let_one_through(db_url: str) -> None:
    index = FingerprintIndex(Database(db_url))
    fp = chromaprint.fingerprint(synth_music(55, 15.0), RATE).encoded
    out = _run_workers(_duplicate_worker, [(db_url, k, fp) for k in range(WORKERS)])
    firsts = [k for k, earlier, _ in out if earlier is None]
    assert len(firsts) == 1
    assert {earlier for _, earlier, _ in out if earlier is not None} == {f"copy-{firsts[0]}.wav"}
    index.close()


def test_statistics_refresh_as_the_catalog_grows(db_url: str) -> None:
    index = FingerprintIndex(Database(db_url))
    if index.db.dialect != "postgresql":
        index.close()
        pytest.skip("statistics are refreshed on PostgreSQL only (VACUUM ANALYZE)")

    def vacuumed() -> tuple[bool]:
        return index.db.read(
            lambda cur: cur.execute(
                "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'fp_landmarks'"
            ).fetchone()
        )

    index._refresh_statistics(15)  # not a milestone
    assert vacuumed() == (False,)
    index._refresh_statistics(16)  # a milestone: VACUUM ANALYZE
    assert vacuumed() == (True,)
    index.close()
