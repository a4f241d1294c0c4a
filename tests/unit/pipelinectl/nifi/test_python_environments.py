"""The processor types whose environments are made before NiFi starts are the ones NiFi finds."""

from __future__ import annotations

from pathlib import Path

from pipelinectl.nifi import python_environments
from pipelinectl.nifi.instance import PROCESSORS_DIR


def test_every_python_processor_type_is_found_with_its_version() -> None:
    types = python_environments.processor_types(PROCESSORS_DIR / "audio_processors")
    assert {t.name for t in types} == {
        "DecodeAudio",
        "ClassifyAudio",
        "FingerprintAudio",
        "ScoreSpeechQuality",
        "TranscribeSpeech",
        "RecordResult",
        "RegisterCatalogTrack",
    }
    assert all(t.version == "0.1.0" for t in types)


def test_an_environment_nifi_has_is_left_alone(tmp_path: Path) -> None:
    kept = python_environments.ProcessorType("Kept", "1.0")
    home = python_environments.environment_dir(tmp_path, kept)
    home.mkdir(parents=True)
    (home / python_environments.CREATED_MARKER).touch()
    assert python_environments.prepare(tmp_path, [kept], "/nonexistent/python") == []
