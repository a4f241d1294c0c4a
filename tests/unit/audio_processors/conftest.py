"""The processors import `nifiapi`: NiFi's Python API from our assembly, with a mocked JVM. Their
tests run them on fake contexts and FlowFiles, with the metrics sink silenced."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import nifi_python
from support.nifi_python import FakeContext

nifi_python.use_mocked_jvm()


@pytest.fixture(autouse=True)
def quiet_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No Pushgateway, no state files: `metrics.configure` only records the component it was given."""
    from audio_pipeline import metrics

    configured: list[str] = []
    monkeypatch.setattr(metrics, "configure", lambda component=None, **_kw: configured.append(component))
    monkeypatch.setattr(metrics, "flush", lambda: True)
    monkeypatch.setattr(metrics, "time_stage", lambda _stage: contextlib.nullcontext())
    monkeypatch.setattr(metrics, "record_result", lambda _attributes, _status: None)
    yield configured


@pytest.fixture
def scheduled() -> Iterator[Callable[..., tuple[Any, FakeContext]]]:
    """`scheduled(ProcessorClass, {"Property Name": value})`: a processor as NiFi starts it
    (initialize, then onScheduled with those property values); stopped again after the test."""
    started: list[tuple[Any, FakeContext]] = []

    def start(
        processor_class: type, values: dict[str, str | None] | None = None
    ) -> tuple[Any, nifi_python.FakeContext]:
        processor = processor_class()
        processor.logger = nifi_python.FakeLogger()
        context = FakeContext(processor, dict(values or {}))
        processor.onScheduled(context)
        started.append((processor, context))
        return processor, context

    yield start
    for processor, context in started:
        processor.onStopped(context)
