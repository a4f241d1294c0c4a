"""ScoreSpeechQuality on a fake NiFi context: properties read once, routes and failures, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_pipeline import flow_steps, speech_quality
from audio_processors.score_speech_quality import ScoreSpeechQuality
from support.nifi_python import FakeContext, FakeFlowFile, fails_with, transform_without_reading_properties


@pytest.fixture
def references(tmp_path: Path) -> Path:
    folder = tmp_path / "references"
    folder.mkdir()
    (folder / "clip.wav").write_bytes(b"RIFF")
    return folder


def _values(references: Path) -> dict[str, str]:
    return {"References Directory": str(references), "PESQ Worker Processes": "0"}  # 0: no worker pool


def test_properties_are_read_once_and_given_to_the_step(scheduled, references, monkeypatch) -> None:
    calls = []

    def score(content: bytes, attributes: object, **kwargs: object) -> flow_steps.StepResult:
        calls.append(kwargs)
        return flow_steps.StepResult({"audio.pesq.mos": "3.9"})

    monkeypatch.setattr(flow_steps, "score_speech_quality", score)
    values = _values(references) | {"PESQ Mode": "nb", "Quality Thresholds": "4.5,4,3,2"}
    processor, context = scheduled(ScoreSpeechQuality, values)
    assert transform_without_reading_properties(processor, context, FakeFlowFile(b"RIFF")).relationship == "success"
    assert calls[0] == {
        "reference": (references / "clip.wav").resolve(),
        "mode": "nb",
        "thresholds": speech_quality.QualityThresholds(4.5, 4.0, 3.0, 2.0),
        "pool": None,
    }


def test_auto_mode_leaves_the_choice_to_the_step(scheduled, references) -> None:
    processor, _ = scheduled(ScoreSpeechQuality, _values(references))
    assert (processor.mode, processor.thresholds) == (None, speech_quality.DEFAULT_THRESHOLDS)


def test_a_file_without_reference_is_not_scored(scheduled, references) -> None:
    processor, context = scheduled(ScoreSpeechQuality, _values(references))
    flowfile = FakeFlowFile(attributes={"filename": "other.wav"})
    assert transform_without_reading_properties(processor, context, flowfile).relationship == "no reference"


def test_a_path_like_reference_fails_with_its_reason(scheduled, references) -> None:
    processor, context = scheduled(ScoreSpeechQuality, _values(references))
    flowfile = FakeFlowFile(attributes={"audio.reference": "../../etc/passwd"})
    assert fails_with(transform_without_reading_properties(processor, context, flowfile), "invalid_reference")
    assert processor.logger.errors == []


def test_a_bug_fails_as_internal_error_and_is_logged(scheduled, references, monkeypatch) -> None:
    monkeypatch.setattr(flow_steps, "score_speech_quality", lambda *_a, **_k: {}["mos"])
    processor, context = scheduled(ScoreSpeechQuality, _values(references))
    assert fails_with(processor.transform(context, FakeFlowFile(b"RIFF")), "internal_error")
    assert len(processor.logger.errors) == 1 and "KeyError" in processor.logger.errors[0]


def test_the_default_thresholds_are_valid(references) -> None:
    processor = ScoreSpeechQuality()
    assert processor.customValidate(FakeContext(processor, _values(references))) == []


@pytest.mark.parametrize("thresholds", ["4,3,2", "a,b,c,d", "3,4,2,1", "6,4,3,2", "4,3,3,2"])
def test_bad_thresholds_are_invalid_with_the_parser_s_reason(references, thresholds: str) -> None:
    processor = ScoreSpeechQuality()
    context = FakeContext(processor, _values(references) | {"Quality Thresholds": thresholds})
    [problem] = processor.customValidate(context)
    with pytest.raises(ValueError) as expected:
        speech_quality.QualityThresholds.parse(thresholds)
    assert (problem.subject, problem.explanation, problem.input) == (
        "Quality Thresholds",
        str(expected.value),
        thresholds,
    )
