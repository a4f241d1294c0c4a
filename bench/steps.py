"""The flow's per-file steps without NiFi: what the plain-Python baseline and the ExecuteStreamCommand
worker run on each file, calling exactly the functions the NiFi processors call (audio_pipeline.flow_steps).

STEPS is the table: one row per step of the flow's main path, in the flow's order, naming the
flow_steps function it calls and building that function's arguments from the current content, the
attributes so far and the process's StepContext, as the NiFi processor that calls it does. To add a
step, add its row; if its processor opens something once in onScheduled, add that to StepContext.
Step functions that do not run per input file are named in NOT_PER_FILE; `unlisted()` (and a unit
test) names any flow_steps step function that is in neither, so a new processor's step is not
silently left out of the comparison.

This module is imported by every ExecuteStreamCommand invocation: keep its imports light (flow_steps
and what the steps open are imported when the first file runs, inside the worker's timing).
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from audio_pipeline import attributes as attr

from pipelinectl.settings import load

if TYPE_CHECKING:
    from audio_pipeline.classification import ServingClient, Windowing
    from audio_pipeline.fingerprint_index import FingerprintIndex
    from audio_pipeline.flow_steps import StepResult
    from audio_pipeline.results_store import ResultsStore
    from audio_pipeline.transcription.pool import TranscriptionPool


@dataclass
class StepContext:
    """What the processors have once per process: their property defaults in the flow, and the objects
    they open in onScheduled, opened here on first use (so a process that never runs a step opens
    nothing) and closed by `close()`."""

    references_dir: Path  # ScoreSpeechQuality's References Directory
    database_url: str  # FingerprintAudio's and RecordResult's Database URL
    # ClassifyAudio's Server: the instance's model server, from the settings in the environment (the
    # bench passes them to its workers, NiFi to ExecuteStreamCommand), as the flow's parameter is.
    serving_target: str = field(default_factory=lambda: load().serving_grpc_address)
    target_rate: int = 16000  # DecodeAudio's Target Sample Rate
    max_duration_s: float = 3600.0  # DecodeAudio's Maximum Duration (1 hour)
    status: str = "ok"  # RecordResult's Status on the main path
    # TranscribeSpeech's Models Directory (the flow's parameter, from the settings), Model and Transcribe.
    transcription_model_dir: Path = field(default_factory=lambda: load().transcription_models_dir / "whisper-base")
    transcribe_scope: str = "speech files"
    transcribe_max_seconds: float = 3 * 3600.0  # TranscribeSpeech's Maximum Duration

    @functools.cached_property
    def serving_client(self) -> ServingClient:
        """ClassifyAudio's client (the flow's other property defaults are ClientConfig's)."""
        from audio_pipeline import classification

        return classification.ServingClient(classification.ClientConfig(target=self.serving_target))

    @functools.cached_property
    def windowing(self) -> Windowing:
        """ClassifyAudio's windows (its Window Seconds and Hop Seconds defaults are Windowing's)."""
        from audio_pipeline import classification

        return classification.Windowing()

    @functools.cached_property
    def fingerprint_index(self) -> FingerprintIndex:
        from audio_pipeline.fingerprint_index import FingerprintIndex

        return FingerprintIndex.open(url=self.database_url)

    @functools.cached_property
    def results_store(self) -> ResultsStore:
        from audio_pipeline.results_store import ResultsStore

        return ResultsStore.open(url=self.database_url)

    @functools.cached_property
    def transcription_pool(self) -> TranscriptionPool:
        """TranscribeSpeech's model, in this process (the baseline gets its worker processes as processes
        of its own, as for PESQ)."""
        from audio_pipeline.transcription.pool import TranscriptionPool
        from audio_pipeline.transcription.transcriber import TranscriptionSettings

        return TranscriptionPool(self.transcription_model_dir, TranscriptionSettings(), workers=0)

    def close(self) -> None:
        """Close what was opened (as a processor's onStopped); a later step opens it again."""
        for name in ("serving_client", "windowing", "fingerprint_index", "results_store", "transcription_pool"):
            opened = self.__dict__.pop(name, None)
            close = getattr(opened, "close", None)
            if callable(close):
                close()


# (the flow_steps function of the row, current content, attributes so far, context) -> its result
StepCall = Callable[[Callable[..., "StepResult"], bytes, Mapping[str, str], StepContext], "StepResult"]


@dataclass(frozen=True)
class Step:
    """One row of STEPS: `call` gets the flow_steps function named `name` and calls it as `processor` does."""

    name: str
    processor: str
    call: StepCall

    def function(self) -> Callable[..., StepResult]:
        from audio_pipeline import flow_steps

        return getattr(flow_steps, self.name)


def _score_speech_quality(
    score: Callable[..., StepResult], content: bytes, attributes: Mapping[str, str], context: StepContext
) -> StepResult:
    """As ScoreSpeechQuality: the reference is found from the attributes alone first; a file without
    one takes the `no reference` route, unscored. PESQ runs in this process (the baseline gets the
    processor's PESQ worker processes as processes of its own instead)."""
    from audio_pipeline import flow_steps

    reference = flow_steps.find_reference(attributes, context.references_dir)
    if reference is None:
        return flow_steps.StepResult(attributes={}, route=flow_steps.NO_REFERENCE)
    return score(content, attributes, reference=reference)


def _default_loudness_profile() -> object:
    """DecodeAudio's default Loudness Profile (imported when the first file runs, like the steps)."""
    from audio_pipeline import loudness_profiles

    return loudness_profiles.DEFAULT


STEPS: tuple[Step, ...] = (
    Step(
        "decode",
        "DecodeAudio",
        lambda decode, content, attributes, context: decode(
            content,
            target_rate=context.target_rate,
            max_duration_s=context.max_duration_s,
            filename=attributes.get(attr.FILENAME),
            loudness_profile=_default_loudness_profile(),
        ),
    ),
    Step(
        "classify",
        "ClassifyAudio",
        lambda classify, content, attributes, context: classify(
            content, attributes, client=context.serving_client, windowing=context.windowing
        ),
    ),
    Step(
        "fingerprint",
        "FingerprintAudio",
        lambda fingerprint, content, attributes, context: fingerprint(
            content, attributes, index=context.fingerprint_index
        ),
    ),
    Step("score_speech_quality", "ScoreSpeechQuality", _score_speech_quality),
    Step(
        "transcribe",
        "TranscribeSpeech",
        lambda transcribe, content, attributes, context: transcribe(
            content,
            attributes,
            pool=context.transcription_pool,
            scope=context.transcribe_scope,
            max_seconds=context.transcribe_max_seconds,
        ),
    ),
    Step(
        "record_outcome",
        "RecordResult",
        lambda record_outcome, _, attributes, context: record_outcome(
            attributes, context.status, store=context.results_store
        ),
    ),
)
# Step functions of flow_steps that do not run per input file (the catalog path).
NOT_PER_FILE = ("register_catalog_track",)


def step_functions() -> list[str]:
    """The public functions of flow_steps that return a StepResult: the steps a processor calls."""
    from audio_pipeline import flow_steps

    return sorted(
        name
        for name, function in vars(flow_steps).items()
        if not name.startswith("_")
        and inspect.isfunction(function)
        and function.__module__ == flow_steps.__name__
        and inspect.signature(function).return_annotation in ("StepResult", flow_steps.StepResult)
    )


def unlisted() -> list[str]:
    """Step functions of flow_steps that are neither in STEPS nor in NOT_PER_FILE."""
    listed = {step.name for step in STEPS} | set(NOT_PER_FILE)
    return [name for name in step_functions() if name not in listed]


def ingest_attributes(filename: str, reference: str | None) -> dict[str, str]:
    """What the flow's ingest gives a FlowFile before the first Python step: NiFi's uuid, the HTTP
    headers, and Stamp ingest's attributes (names as in the README's attribute table)."""
    import time
    import uuid

    flowfile_uuid = str(uuid.uuid4())
    found = {
        "uuid": flowfile_uuid,
        "filename": filename,
        "audio.source": "http",
        "audio.ingested.at": str(int(time.time() * 1000)),
        "audio.output.name": f"{filename}--{flowfile_uuid}",
    }
    if reference:
        found["audio.reference"] = reference
    return found


def run(
    data: bytes, attributes: Mapping[str, str], context: StepContext, steps: tuple[Step, ...] = STEPS
) -> dict[str, str]:
    """The steps on one file; the result attributes (with audio.error on the first failure).

    Routes other than failure (e.g. `no reference`) go on to the next step, as in the flow; `retry`
    (model server unavailable) counts as an error, since the flow would hold the file.
    """
    from audio_pipeline.flow_steps import RETRY
    from audio_pipeline.outcome import failure_attributes

    current = dict(attributes)
    content = data
    for step in steps:
        try:
            result = step.call(step.function(), content, current, context)
        except Exception as error:  # like the processors: every failure becomes a reason, never a crash
            current.update(failure_attributes(error))
            break
        current.update(result.attributes)
        if result.route == RETRY:  # the flow would hold the file and try again: here it is an error
            current.update({"audio.error": "retry_route", "audio.error.detail": f"{step.name} asked to retry"})
            break
        if result.content is not None:
            content = result.content
    return current


def fresh_database_url(path: Path) -> str:
    """A new, empty SQLite database for one way of running the steps (each gets its own)."""
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def result_json(attributes: Mapping[str, str]) -> str:
    return json.dumps(dict(attributes), sort_keys=True)


def process_file(path: Path, out_dir: Path, reference: str | None, context: StepContext) -> bool:
    """One file through the steps, its result written as JSON like the flow's PutFile; True if no error."""
    result = run(path.read_bytes(), ingest_attributes(path.name, reference), context)
    tmp = out_dir / f".{path.name}.json"
    tmp.write_text(result_json(result))
    tmp.rename(out_dir / f"{path.name}--local.json")
    return "audio.error" not in result
