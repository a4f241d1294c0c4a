"""TranscribeSpeech on a fake NiFi context: properties read once, routes, failures, validation."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.transcription import model_files, pool
from audio_pipeline.transcription.segments import Segment
from audio_pipeline.transcription.transcriber import Transcript
from audio_processors.transcribe_speech import TranscribeSpeech
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties

TRANSCRIPT = Transcript("Hello there.", "en", 0.97, (Segment(0.2, 1.4, " Hello there.", 0.03),), 2.0, "m", "1")


class UnreadableFlowFile(FakeFlowFile):
    def getContentsAsBytes(self) -> bytes:
        raise AssertionError("the content was read")


class FakePool:
    made: ClassVar[list[tuple[Path, object, int]]] = []

    def __init__(self, directory: Path, settings: object, workers: int) -> None:
        FakePool.made.append((directory, settings, workers))
        self.contents: list[bytes] = []

    def transcribe(self, content: bytes) -> Transcript:
        self.contents.append(content)
        return TRANSCRIPT

    def close(self) -> None:
        pass


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models" / "whisper-base"
    directory.mkdir(parents=True)
    model_files.write_manifest(directory, "whisper-base", "1", dict.fromkeys(model_files.REQUIRED_FILES, "00"))
    FakePool.made = []
    monkeypatch.setattr(pool, "TranscriptionPool", FakePool)
    return directory.parent


def _speech(seconds: str = "2.0") -> dict[str, str]:
    return {attr.CLASS: "speech", attr.DURATION_SECONDS: seconds}


def test_properties_are_read_once_and_the_pool_gets_the_settings(scheduled, models) -> None:
    values = {"Models Directory": str(models), "Language": "de", "Beam Size": "2", "Maximum Piece Duration": "2 mins"}
    processor, context = scheduled(TranscribeSpeech, values)
    [(directory, settings, workers)] = FakePool.made
    assert (directory, workers) == (models / "whisper-base", 1)
    assert (settings.language, settings.beam_size, settings.max_piece_seconds) == ("de", 2, 120.0)
    result = transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF", _speech()))
    assert result.relationship == "success"
    assert result.attributes[attr.TRANSCRIPT] == "Hello there."
    assert result.attributes[attr.TRANSCRIPT_LANGUAGE] == "en"
    assert result.attributes[attr.TRANSCRIPT_WORDS] == "2"
    assert '"text": "Hello there."' in result.attributes[attr.TRANSCRIPT_SEGMENTS]


def test_auto_language_is_identified_by_the_model(scheduled, models) -> None:
    scheduled(TranscribeSpeech, {"Models Directory": str(models)})
    assert FakePool.made[0][1].language is None


def test_files_that_are_not_speech_pass_unread(scheduled, models) -> None:
    processor, context = scheduled(TranscribeSpeech, {"Models Directory": str(models)})
    for label in ("music", "noise", "silence", None):
        flowfile = UnreadableFlowFile(attributes={attr.CLASS: label} if label else {})
        result = transform_without_reading_properties(processor, context, flowfile)
        assert (result.relationship, result.attributes) == ("not transcribed", None)


def test_all_files_transcribes_whatever_the_class(scheduled, models) -> None:
    processor, context = scheduled(TranscribeSpeech, {"Models Directory": str(models), "Transcribe": "all files"})
    flowfile = FakeFlowFile(b"RIFF", {attr.CLASS: "music", attr.DURATION_SECONDS: "3"})
    assert processor.transform(context, flowfile).relationship == "success"


def test_no_files_turns_the_stage_off(scheduled, models) -> None:
    processor, context = scheduled(TranscribeSpeech, {"Models Directory": str(models), "Transcribe": "no files"})
    result = transform_without_reading_properties(processor, context, UnreadableFlowFile(attributes=_speech()))
    assert result.relationship == "not transcribed"


def test_a_file_over_the_maximum_duration_fails_with_its_reason(scheduled, models) -> None:
    values = {"Models Directory": str(models), "Maximum Duration": "1 mins"}
    processor, context = scheduled(TranscribeSpeech, values)
    result = processor.transform(context, UnreadableFlowFile(attributes=_speech("61")))
    assert fails_with(result, "too_long_to_transcribe")
    assert "61 s" in result.attributes[attr.ERROR_DETAIL]


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, models, monkeypatch) -> None:
    processor, context = scheduled(TranscribeSpeech, {"Models Directory": str(models)})
    monkeypatch.setattr(processor.pool, "transcribe", lambda _content: {}["boom"])
    assert fails_with(processor.transform(context, FakeFlowFile(b"RIFF", _speech())), "internal_error")
    assert len(processor.logger.errors) == 1 and "KeyError" in processor.logger.errors[0]


def test_the_defaults_are_valid_with_an_assembled_model(models) -> None:
    processor = TranscribeSpeech()
    assert processor.customValidate(FakeContext(processor, {"Models Directory": str(models)})) == []


def test_a_model_setup_did_not_assemble_is_invalid_with_the_repair(models) -> None:
    processor = TranscribeSpeech()
    context = FakeContext(processor, {"Models Directory": str(models), "Model": "whisper-large"})
    [problem] = processor.customValidate(context)
    assert (problem.subject, problem.input) == ("Model", "whisper-large")
    assert "no model directory" in problem.explanation and "setup" in problem.explanation


@pytest.mark.parametrize(
    ("name", "value"), [("Language", "english"), ("Language", "xx"), ("Maximum Duration", "0 secs")]
)
def test_bad_values_are_invalid(models, name: str, value: str) -> None:
    processor = TranscribeSpeech()
    [problem] = processor.customValidate(FakeContext(processor, {"Models Directory": str(models), name: value}))
    assert problem.subject == name
