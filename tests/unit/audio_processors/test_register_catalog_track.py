"""RegisterCatalogTrack on a fake NiFi context: properties read once, the database password, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_pipeline import flow_steps
from audio_pipeline.database import DatabaseError
from audio_processors import register_catalog_track
from audio_processors.register_catalog_track import RegisterCatalogTrack
from support.nifi_python import FakeFlowFile, fails_with, transform_without_reading_properties


@pytest.fixture
def database(tmp_path: Path) -> dict[str, str]:
    return {"Database URL": f"sqlite:///{tmp_path / 'index.db'}"}


def test_properties_are_read_once_and_given_to_the_step(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def register(content: bytes, attributes: object, **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs)
        return flow_steps.StepResult({"audio.catalog.track.id": "track"})

    monkeypatch.setattr(flow_steps, "register_catalog_track", register)
    processor, context = scheduled(RegisterCatalogTrack, database)
    assert transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF")).relationship == "success"
    assert calls[0] == {"index": processor.index}


def test_the_password_property_reaches_the_database(scheduled, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr(register_catalog_track.FingerprintIndex, "open", lambda url: opened.append(url))
    scheduled(RegisterCatalogTrack, {"Database URL": "postgresql://audio@db/audio", "Database Password": "pw"})
    assert opened == ["postgresql://audio:pw@db/audio"]


def test_a_database_error_fails_with_its_reason(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    def register(*_args: object, **_kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(flow_steps, "register_catalog_track", register)
    processor, context = scheduled(RegisterCatalogTrack, database)
    assert fails_with(transform_without_reading_properties(processor, context, FakeFlowFile()), "database_error")
    assert processor.logger.errors == []


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_steps, "register_catalog_track", lambda *_a, **_k: int("x"))
    processor, context = scheduled(RegisterCatalogTrack, database)
    assert fails_with(processor.transform(context, FakeFlowFile()), "internal_error")
    assert len(processor.logger.errors) == 1 and "ValueError" in processor.logger.errors[0]
