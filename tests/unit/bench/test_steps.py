"""bench.steps: the table of per-file steps the baseline and the ExecuteStreamCommand worker run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from audio_pipeline import flow_steps, loudness_profiles
from audio_pipeline.flow_steps import StepResult

from bench import steps


def test_the_table_names_every_step_function_of_flow_steps() -> None:
    """A new step function in flow_steps must get a row in STEPS (or be named in NOT_PER_FILE), and
    every row must name a step function flow_steps has."""
    listed = [step.name for step in steps.STEPS] + list(steps.NOT_PER_FILE)
    assert steps.unlisted() == []
    assert sorted(listed) == steps.step_functions()


def test_step_functions_are_the_functions_returning_step_results(monkeypatch: pytest.MonkeyPatch) -> None:
    def new_step(content: bytes) -> StepResult:
        raise AssertionError

    new_step.__module__ = flow_steps.__name__
    monkeypatch.setattr(flow_steps, "new_step", new_step, raising=False)
    assert "new_step" in steps.step_functions() and steps.unlisted() == ["new_step"]
    assert "find_reference" not in steps.step_functions()  # a helper, not a step


def test_the_table_is_in_the_flow_order() -> None:
    assert [(step.name, step.processor) for step in steps.STEPS] == [
        ("decode", "DecodeAudio"),
        ("classify", "ClassifyAudio"),
        ("fingerprint", "FingerprintAudio"),
        ("score_speech_quality", "ScoreSpeechQuality"),
        ("transcribe", "TranscribeSpeech"),
        ("record_outcome", "RecordResult"),
    ]


def _context(tmp_path: Path) -> steps.StepContext:
    context = steps.StepContext(tmp_path, f"sqlite:///{tmp_path}/x.db")
    # What the processors open in onScheduled, replaced (the properties are cached, so assignable).
    context.serving_client = "client"  # type: ignore[assignment]
    context.windowing = "windowing"  # type: ignore[assignment]
    context.fingerprint_index = "index"  # type: ignore[assignment]
    context.results_store = "store"  # type: ignore[assignment]
    context.transcription_pool = "pool"  # type: ignore[assignment]
    return context


def _record_calls(
    monkeypatch: pytest.MonkeyPatch, routes: Mapping[str, str] | None = None
) -> list[tuple[str, tuple, dict]]:
    """Replace the table's flow_steps functions by recorders; each returns content `<name>-out`."""
    calls: list[tuple[str, tuple, dict]] = []

    def recorder(name: str) -> Any:
        def step(*args: Any, **kwargs: Any) -> StepResult:
            calls.append((name, tuple(dict(a) if isinstance(a, Mapping) else a for a in args), kwargs))
            return StepResult(
                attributes={name: "done"}, content=f"{name}-out".encode(), route=(routes or {}).get(name, "success")
            )

        return step

    for step in steps.STEPS:
        monkeypatch.setattr(flow_steps, step.name, recorder(step.name))
    return calls


def test_run_builds_the_arguments_as_the_processors_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "clip.wav").write_bytes(b"reference")
    calls = _record_calls(monkeypatch)
    result = steps.run(b"input", {"filename": "clip.wav"}, _context(tmp_path))
    done = ["decode", "classify", "fingerprint", "score_speech_quality", "transcribe"]
    assert (
        calls
        == [
            (
                "decode",
                (b"input",),
                {
                    "target_rate": 16000,
                    "max_duration_s": 3600.0,
                    "filename": "clip.wav",
                    "loudness_profile": loudness_profiles.DEFAULT,  # DecodeAudio's default Loudness Profile
                },
            ),
            (
                "classify",
                (b"decode-out", {"filename": "clip.wav", "decode": "done"}),
                {"client": "client", "windowing": "windowing"},
            ),
            (
                "fingerprint",
                (b"classify-out", {"filename": "clip.wav", "decode": "done", "classify": "done"}),
                {"index": "index"},
            ),
            (
                "score_speech_quality",
                (
                    b"fingerprint-out",
                    {"filename": "clip.wav", "decode": "done", "classify": "done", "fingerprint": "done"},
                ),
                {"reference": tmp_path / "clip.wav"},  # the input's own name in the references folder
            ),
            (
                "transcribe",
                (b"score_speech_quality-out", {"filename": "clip.wav"} | dict.fromkeys(done[:4], "done")),
                {"pool": "pool", "scope": "speech files", "max_seconds": 10800.0},  # TranscribeSpeech's defaults
            ),
            ("record_outcome", ({"filename": "clip.wav"} | dict.fromkeys(done, "done"), "ok"), {"store": "store"}),
        ]
    )
    assert result == {"filename": "clip.wav"} | dict.fromkeys([*done, "record_outcome"], "done")


def test_a_file_without_reference_is_not_scored_and_goes_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _record_calls(monkeypatch)
    result = steps.run(b"input", {"filename": "clip.wav"}, _context(tmp_path))
    assert [name for name, _, _ in calls] == ["decode", "classify", "fingerprint", "transcribe", "record_outcome"]
    assert "score_speech_quality" not in result and result["record_outcome"] == "done"


def test_run_stops_at_the_first_failure_or_retry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _record_calls(monkeypatch, routes={"classify": flow_steps.RETRY})
    retried = steps.run(b"input", {}, _context(tmp_path))
    assert [name for name, _, _ in calls] == ["decode", "classify"]
    assert retried["audio.error"] == "retry_route" and retried["classify"] == "done"

    def broken(*args: Any, **kwargs: Any) -> StepResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(flow_steps, "decode", broken)
    calls.clear()
    failed = steps.run(b"input", {"filename": "f"}, _context(tmp_path))
    assert calls == [] and failed["audio.error"] == "internal_error" and failed["filename"] == "f"


def test_run_chains_content_through_a_custom_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A row's call gets its flow_steps function, the current content and attributes, and the context;
    content None keeps the content as it is."""

    def first(data: bytes, *, factor: int) -> StepResult:
        return StepResult(attributes={"first": str(len(data) * factor)}, content=b"xy")

    def second(content: bytes, attributes: Mapping[str, str]) -> StepResult:
        return StepResult(attributes={"second": content.decode() + attributes["first"]}, route="no reference")

    def third(content: bytes) -> StepResult:
        return StepResult(attributes={"third": content.decode()})

    for function in (first, second, third):
        monkeypatch.setattr(flow_steps, function.__name__, function, raising=False)
    table = (
        steps.Step("first", "First", lambda step, content, _, context: step(content, factor=context.target_rate)),
        steps.Step("second", "Second", lambda step, content, attributes, _: step(content, attributes)),
        steps.Step("third", "Third", lambda step, content, _a, _c: step(content)),
    )
    context = steps.StepContext(tmp_path, "", target_rate=2)
    assert steps.run(b"abc", {"filename": "f"}, context, table) == {
        "filename": "f",
        "first": "6",
        "second": "xy6",
        "third": "xy",
    }


def test_the_context_opens_once_on_first_use_and_again_after_close(tmp_path: Path) -> None:
    context = steps.StepContext(tmp_path, f"sqlite:///{tmp_path}/x.db")
    assert not {"fingerprint_index", "results_store", "serving_client"} & vars(context).keys()  # nothing yet
    store = context.results_store
    assert context.results_store is store  # once per process, like onScheduled
    context.close()
    assert "results_store" not in vars(context)
    reopened = context.results_store
    assert reopened is not store
    context.close()


def test_steps_reach_the_model_server_the_flow_is_configured_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVING_HOST", "models.internal")
    monkeypatch.setenv("SERVING_GRPC_PORT", "9500")
    context = steps.StepContext(Path("."), "")
    assert context.serving_target == "models.internal:9500"
    from pipelinectl import flow
    from pipelinectl.settings import load

    assert flow.parameter_values(load())["serving_grpc_address"] == "models.internal:9500"


def test_process_file_writes_the_result_as_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _record_calls(monkeypatch)
    clip, out = tmp_path / "clip.flac", tmp_path / "out"
    clip.write_bytes(b"audio")
    (tmp_path / "ref.wav").write_bytes(b"reference")
    out.mkdir()
    assert steps.process_file(clip, out, "ref.wav", _context(tmp_path)) is True
    (written,) = out.iterdir()
    assert written.name == "clip.flac--local.json"
    result = json.loads(written.read_text())
    assert result["filename"] == "clip.flac" and result["audio.reference"] == "ref.wav"
    assert result["audio.output.name"] == f"clip.flac--{result['uuid']}"
