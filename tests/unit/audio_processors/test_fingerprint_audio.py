"""FingerprintAudio on a fake NiFi context: properties read once, the database password, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_pipeline import flow_steps
from audio_pipeline.database import DatabaseError
from audio_processors import fingerprint_audio
from audio_processors.fingerprint_audio import FingerprintAudio
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    return {"Database URL": f"sqlite:///{tmp_path / 'index.db'}"}


def test_properties_are_read_once_and_given_to_the_step(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fingerprint(content: bytes, attributes: object, **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs)
        return flow_steps.StepResult({"audio.fingerprint.match": ""})

    monkeypatch.setattr(flow_steps, "fingerprint", fingerprint)
    processor, context = scheduled(FingerprintAudio, database | {"Maximum Match Duration": "30 secs"})
    assert transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF")).relationship == "success"
    assert calls[0] == {"index": processor.index, "max_match_seconds": 30.0}


def test_the_default_match_duration_is_120_seconds(scheduled, database) -> None:
    processor, _ = scheduled(FingerprintAudio, database)
    assert processor.max_match_seconds == 120.0


def test_the_password_property_reaches_the_database(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr(fingerprint_audio.FingerprintIndex, "open", lambda url: opened.append(url))
    scheduled(FingerprintAudio, {"Database URL": "postgresql://audio@db/audio", "Database Password": "pw"})
    assert opened == ["postgresql://audio:pw@db/audio"]


def test_a_database_error_fails_with_its_reason(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    def fingerprint(*_args: object, **_kwargs: object) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(flow_steps, "fingerprint", fingerprint)
    processor, context = scheduled(FingerprintAudio, database)
    assert fails_with(transform_without_reading_properties(processor, context, FakeFlowFile()), "database_error")
    assert processor.logger.errors == []


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_steps, "fingerprint", lambda *_a, **_k: [][0])
    processor, context = scheduled(FingerprintAudio, database)
    assert fails_with(processor.transform(context, FakeFlowFile()), "internal_error")
    assert len(processor.logger.errors) == 1 and "IndexError" in processor.logger.errors[0]


def test_a_match_duration_of_zero_is_invalid(database) -> None:
    processor = FingerprintAudio()
    assert processor.customValidate(FakeContext(processor, database)) == []
    [problem] = processor.customValidate(FakeContext(processor, database | {"Maximum Match Duration": "0 mins"}))
    assert problem.subject == "Maximum Match Duration"
