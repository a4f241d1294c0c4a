"""RecordResult on a fake NiFi context: properties read once, the database password, and no catch-all:
a failed write leaves the file unchanged on failure (NiFi logs it), so the flow retries it."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps
from audio_pipeline.database import DatabaseError
from audio_pipeline.results_store import ResultsStore
from audio_processors import record_result
from audio_processors.record_result import RecordResult
from support.nifi_python import FakeFlowFile, transform_without_reading_properties

ATTRIBUTES = {"uuid": "7d3c-uuid", "audio.source": "http", "audio.output.name": "clip.wav--7d3c-uuid"}


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'results.db'}"


@pytest.mark.parametrize("status", ["ok", "quarantined"])
def test_the_row_gets_the_configured_status_read_once(scheduled, database: str, status: str) -> None:
    processor, context = scheduled(RecordResult, {"Database URL": database, "Status": status})
    flowfile = FakeFlowFile(attributes=ATTRIBUTES | ({"audio.error": "not_audio"} if status == "quarantined" else {}))
    result = transform_without_reading_properties(processor, context, flowfile)
    assert (result.relationship, result.attributes) == ("success", {"audio.status": status})
    store = ResultsStore.open(database)
    try:
        assert [row.status for row in store.recent(limit=5)] == [status]  # re-delivery updated the same row
    finally:
        store.close()


def test_the_password_property_reaches_the_database(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr(record_result.ResultsStore, "open", lambda url: opened.append(url))
    scheduled(RecordResult, {"Database URL": "postgresql://audio:old@db/audio", "Database Password": "new"})
    assert opened == ["postgresql://audio:new@db/audio"]


def test_a_database_outage_is_raised_to_nifi_not_swallowed(scheduled, database, monkeypatch) -> None:
    def record(*_args: object, **_kwargs: object) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(flow_steps, "record_outcome", record)
    processor, context = scheduled(RecordResult, {"Database URL": database})
    with pytest.raises(DatabaseError):
        processor.transform(context, FakeFlowFile(attributes=ATTRIBUTES))


SEGMENTS = '[{"start": 0.0, "end": 1.5, "text": "Hello & welcome", "no_speech_prob": 0.02}]'


def test_a_transcribed_file_gets_its_subtitles_beside_the_json_once(scheduled, database, tmp_path: Path) -> None:
    results = tmp_path / "results"
    processor, context = scheduled(RecordResult, {"Database URL": database, "Results Directory": str(results)})
    transcribed = ATTRIBUTES | {attr.TRANSCRIPT: "Hello & welcome", attr.TRANSCRIPT_SEGMENTS: SEGMENTS}
    result = transform_without_reading_properties(processor, context, FakeFlowFile(attributes=transcribed))
    assert result.relationship == "success"  # transformed twice, as a re-delivery would: still one pair
    assert sorted(p.name for p in results.iterdir()) == ["clip.wav--7d3c-uuid.srt", "clip.wav--7d3c-uuid.vtt"]
    assert (results / "clip.wav--7d3c-uuid.vtt").read_text().endswith("00:00:01.500\nHello &amp; welcome\n")
    not_speech = ATTRIBUTES | {"uuid": "8e4d-uuid", attr.OUTPUT_NAME: "tone.wav--8e4d-uuid"}
    processor.transform(context, FakeFlowFile(attributes=not_speech))
    assert len(list(results.iterdir())) == 2  # no transcript, no subtitles


def test_without_results_directory_no_subtitles_are_written(scheduled, database, tmp_path: Path) -> None:
    processor, context = scheduled(RecordResult, {"Database URL": database, "Status": "quarantined"})
    transcribed = ATTRIBUTES | {attr.TRANSCRIPT: "", attr.TRANSCRIPT_SEGMENTS: "[]", "audio.error": "pesq_error"}
    assert processor.transform(context, FakeFlowFile(attributes=transcribed)).relationship == "success"
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".vtt", ".srt")]
