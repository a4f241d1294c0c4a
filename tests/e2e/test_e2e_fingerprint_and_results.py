"""FingerprintAudio, catalog registration and the results table, through the real flow."""

from __future__ import annotations

import time

import numpy as np
import soundfile as sf
from audio_pipeline.fingerprint_index import FingerprintIndex
from audio_pipeline.results_store import ResultsStore
from support.pipeline_instance import Pipeline


def _melody(seed: int, seconds: float = 30.0, rate: int = 16000) -> np.ndarray:
    """A distinctive synthetic track: random note sequence with harmonics and a little noise."""
    rng = np.random.default_rng(seed)
    notes = np.repeat(rng.uniform(150, 1500, int(seconds * 4)), rate // 4)
    phase = 2 * np.pi * np.cumsum(notes) / rate
    x = 0.25 * np.sin(phase) + 0.1 * np.sin(2 * phase) + 0.02 * rng.standard_normal(len(notes))
    return x.astype(np.float32)


def _database_url(pipeline: Pipeline) -> str:
    return pipeline.settings.results_database_url or f"sqlite:///{pipeline.settings.state_dir / 'pipeline.db'}"


def _wait_registered(pipeline: Pipeline, track_id: str, timeout: float = 120.0) -> None:
    index = FingerprintIndex.open(_database_url(pipeline))
    try:
        deadline = time.monotonic() + timeout
        while track_id not in index.tracks():
            assert time.monotonic() < deadline, f"{track_id} never registered"
            time.sleep(1.0)
    finally:
        index.close()


def test_excerpt_matches_catalog_track_and_copy_is_a_duplicate(pipeline: Pipeline, tmp_path, audio) -> None:
    rate = 16000
    track = _melody(seed=11)
    catalog_file = tmp_path / "e2e-track-11.flac"
    sf.write(str(catalog_file), track, rate)
    (pipeline.settings.catalog_dir / catalog_file.name).write_bytes(catalog_file.read_bytes())
    _wait_registered(pipeline, "e2e-track-11")

    excerpt = tmp_path / "excerpt.wav"
    sf.write(str(excerpt), track[12 * rate : 22 * rate], rate)
    assert pipeline.post(excerpt.read_bytes(), "e2e-excerpt.wav").status_code == 200
    kind, attrs = pipeline.wait_for("e2e-excerpt.wav")
    assert kind == "result"
    assert attrs["audio.fingerprint.match"] == "e2e-track-11"
    assert abs(float(attrs["audio.fingerprint.offset.seconds"]) - 12.0) < 0.5
    assert attrs["audio.fingerprint.chromaprint"]

    reencoded = audio.transcode(excerpt, "mp3", bitrate="128k")
    assert pipeline.post(reencoded.read_bytes(), "e2e-excerpt-copy.mp3").status_code == 200
    kind, copy = pipeline.wait_for("e2e-excerpt-copy.mp3")
    assert kind == "result"
    assert copy["audio.duplicate.of"] == attrs["audio.output.name"]


def test_unknown_audio_has_no_match(pipeline: Pipeline, tmp_path) -> None:
    other = tmp_path / "other.wav"
    sf.write(str(other), _melody(seed=99, seconds=10.0), 16000)
    assert pipeline.post(other.read_bytes(), "e2e-unknown.wav").status_code == 200
    kind, attrs = pipeline.wait_for("e2e-unknown.wav")
    assert kind == "result" and attrs["audio.fingerprint.match"] == ""


def test_every_outcome_is_exactly_one_row(pipeline: Pipeline, audio) -> None:
    assert pipeline.post(audio.tone(duration=1.0).read_bytes(), "row-ok.wav").status_code == 200
    assert pipeline.post(b"not audio at all" * 10, "row-bad.wav").status_code == 200
    _, ok = pipeline.wait_for("row-ok.wav")
    _, bad = pipeline.wait_for("row-bad.wav")

    store = ResultsStore.open(_database_url(pipeline))
    try:
        ok_row, bad_row = store.get(ok["uuid"]), store.get(bad["uuid"])
        rows = store.recent(limit=1000)
    finally:
        store.close()
    assert ok_row is not None and ok_row.status == "ok" and ok_row.source == "http"
    assert ok_row.sha256 == ok["audio.sha256"] and ok_row.duration_seconds is not None
    assert bad_row is not None and bad_row.status == "quarantined"
    assert bad_row.error == f"not_audio: {bad['audio.error.detail']}"
    assert len([r for r in rows if r.flowfile_uuid in (ok["uuid"], bad["uuid"])]) == 2
    outcomes = pipeline.outcomes()
    assert len({a["uuid"] for _, a in outcomes}) == len(outcomes), "no FlowFile ends twice"
