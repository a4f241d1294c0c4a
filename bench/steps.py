"""The flow's Python steps run without NiFi: what the plain-Python baseline and the ExecuteStreamCommand
worker execute per file, calling exactly the functions the NiFi processors call (audio_pipeline.flow_steps).

PIPELINE_STEPS is the one list of per-file steps, in the flow's order; those flow_steps has are run.
Any other step function in flow_steps (annotated to return ``StepResult``) that is in neither list is
reported by `unlisted()`, so a new processor's step is not silently left out of the comparison.
Arguments are bound by name: ``data``/``content`` get the current content, ``attributes`` the
attributes so far, keyword arguments come from the run's context; a keyword argument annotated with a
class that has an ``open(url=...)`` constructor (FingerprintIndex, ResultsStore) gets one opened on
the context's ``database_url``, once per process, as a processor does in onScheduled. A step whose
required arguments cannot be supplied is skipped and reported.

This module is imported by every ExecuteStreamCommand invocation: keep its imports light.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelinectl.settings import load

# The per-file steps in the flow's order (names of audio_pipeline.flow_steps functions).
PIPELINE_STEPS = ("decode", "classify", "fingerprint", "score_speech_quality", "record_outcome")
# Step functions that do not run per input file (the catalog path).
OTHER_STEPS = ("register_catalog_track",)
CONTENT_PARAMETERS = ("data", "content")


@dataclass(frozen=True)
class Step:
    name: str
    function: Callable[..., Any]
    missing: tuple[str, ...] = ()  # required arguments the context cannot supply

    @property
    def runnable(self) -> bool:
        return not self.missing


@dataclass
class StepContext:
    """Keyword arguments the steps may ask for, by name (the processors' property values), and the
    objects opened for them once per process (as the processors do in onScheduled)."""

    values: dict[str, Any] = field(default_factory=dict)
    opened: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def default(cls, references_dir: Path, database_url: str = "", **extra: Any) -> StepContext:
        """The flow's property defaults; the model server is the instance's, from the settings in the
        environment (the bench passes them to its workers, NiFi to ExecuteStreamCommand), as the flow's."""
        serving = load().serving_grpc_address
        return cls(
            {
                "target_rate": 16000,
                "max_duration_s": 3600.0,
                "references_dir": references_dir,
                "status": "ok",
                "database_url": database_url,
                "serving_target": serving,
                **extra,
            }
        )

    def supplies(self, function: Callable[..., Any], name: str) -> bool:
        return (
            name in self.values
            or _annotation_name(function, name) in FACTORIES
            or (bool(self.values.get("database_url")) and _openable(function, name) is not None)
        )

    def value(self, function: Callable[..., Any], name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name not in self.opened:
            factory = FACTORIES.get(_annotation_name(function, name))
            if factory is not None:
                self.opened[name] = factory(self)
            else:
                opener = _openable(function, name)
                assert opener is not None
                self.opened[name] = opener.open(url=self.values["database_url"])
        return self.opened[name]

    def close(self) -> None:
        for thing in self.opened.values():
            close = getattr(thing, "close", None)
            if callable(close):
                close()
        self.opened.clear()


def _serving_client(context: StepContext) -> Any:
    """ClassifyAudio's client with the flow's property defaults, on the instance's model server."""
    from audio_pipeline import classification

    return classification.ServingClient(classification.ClientConfig(target=context.values["serving_target"]))


def _default_windowing(context: StepContext) -> Any:
    from audio_pipeline import classification

    return classification.Windowing()


# Objects a step parameter may need that are neither property values nor `open(url=...)`-able, by the
# annotated class name; keep in step with the processors' onScheduled.
FACTORIES: dict[str, Callable[[StepContext], Any]] = {
    "ServingClient": _serving_client,
    "Windowing": _default_windowing,
}


def _annotation_name(function: Callable[..., Any], name: str) -> str:
    parameter = inspect.signature(function).parameters.get(name)
    if parameter is None or parameter.annotation is inspect.Parameter.empty:
        return ""
    annotation = parameter.annotation
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")


def _openable(function: Callable[..., Any], name: str) -> Any:
    """The class annotated on parameter `name` if it has an `open` classmethod, else None.

    Annotations are strings here (``from __future__ import annotations``), often of names imported only
    under TYPE_CHECKING; those are found through the module's own import statements."""
    parameter = inspect.signature(function).parameters.get(name)
    if parameter is None or parameter.annotation is inspect.Parameter.empty:
        return None
    hint = parameter.annotation
    if isinstance(hint, str):
        try:
            hint = typing.get_type_hints(function).get(name)
        except Exception:  # a name imported under TYPE_CHECKING only
            hint = _imported_class(function.__module__, parameter.annotation)
    return hint if inspect.isclass(hint) and callable(getattr(hint, "open", None)) else None


@functools.cache
def _imported_class(module_name: str, annotation: str) -> Any:
    """`annotation` (a bare name) as imported by `from M import name` anywhere in the module, or None."""
    if not annotation.isidentifier():
        return None
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module_name]))
    except (KeyError, OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == annotation:
                    try:
                        return getattr(importlib.import_module(node.module), alias.name, None)
                    except ImportError:
                        return None
    return None


def _is_step(function: Any) -> bool:
    return inspect.isfunction(function) and "StepResult" in str(inspect.signature(function).return_annotation)


def discover(context: StepContext) -> list[Step]:
    """The PIPELINE_STEPS flow_steps has, each marked with what it needs and the context cannot supply."""
    from audio_pipeline import flow_steps

    steps = []
    for name in PIPELINE_STEPS:
        function = getattr(flow_steps, name, None)
        if function is not None and _is_step(function):
            steps.append(Step(name, function, _missing(function, context)))
    return steps


def unlisted() -> list[str]:
    """Step functions in flow_steps that are in neither PIPELINE_STEPS nor OTHER_STEPS."""
    from audio_pipeline import flow_steps

    return [
        name
        for name, function in vars(flow_steps).items()
        if not name.startswith("_")
        and name not in PIPELINE_STEPS + OTHER_STEPS
        and _is_step(function)
        and function.__module__ == flow_steps.__name__
    ]


def _missing(function: Callable[..., Any], context: StepContext) -> tuple[str, ...]:
    missing = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in (*CONTENT_PARAMETERS, "attributes", "reference") or context.supplies(
            function, parameter.name
        ):
            continue
        if parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            missing.append(parameter.name)
    return tuple(missing)


def _call(step: Step, content: bytes, attributes: Mapping[str, str], context: StepContext) -> Any:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(step.function).parameters.values():
        if parameter.name in CONTENT_PARAMETERS:
            value: Any = content
        elif parameter.name == "attributes":
            value = dict(attributes)
        elif parameter.name == "reference":  # as ScoreSpeechQuality: found from the attributes first
            from audio_pipeline import flow_steps

            value = flow_steps.find_reference(attributes, context.values["references_dir"])
            if value is None:
                return flow_steps.StepResult(attributes={}, route=flow_steps.NO_REFERENCE)
        elif context.supplies(step.function, parameter.name):
            value = context.value(step.function, parameter.name)
        else:
            continue
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[parameter.name] = value
    return step.function(*args, **kwargs)


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


def run(data: bytes, attributes: Mapping[str, str], steps: list[Step], context: StepContext) -> dict[str, str]:
    """All runnable steps on one file; the result attributes (with audio.error on the first failure).

    Routes other than failure (e.g. `no reference`) go on to the next step, as in the flow; `retry`
    (model server unavailable) counts as an error, since the flow would hold the file.
    """
    from audio_pipeline.outcome import failure_attributes

    current = dict(attributes)
    content = data
    for step in steps:
        if not step.runnable:
            continue
        try:
            result = _call(step, content, current, context)
        except Exception as error:  # like the processors: every failure becomes a reason, never a crash
            current.update(failure_attributes(error))
            break
        current.update(result.attributes)
        if result.route == "retry":  # the flow would hold the file and try again: here it is an error
            current.update({"audio.error": "retry_route", "audio.error.detail": f"{step.name} asked to retry"})
            break
        if result.content is not None:
            content = result.content
    return current


def result_json(attributes: Mapping[str, str]) -> str:
    return json.dumps(dict(attributes), sort_keys=True)


def process_file(path: Path, out_dir: Path, reference: str | None, steps: list[Step], context: StepContext) -> bool:
    """One file through the steps, its result written as JSON like the flow's PutFile; True if no error."""
    result = run(path.read_bytes(), ingest_attributes(path.name, reference), steps, context)
    tmp = out_dir / f".{path.name}.json"
    tmp.write_text(result_json(result))
    tmp.rename(out_dir / f"{path.name}--local.json")
    return "audio.error" not in result
