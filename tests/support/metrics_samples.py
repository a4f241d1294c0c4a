"""Helpers of the metrics sink tests: a sink without a Pushgateway, parsed exposition, test data."""

from __future__ import annotations

import os
from pathlib import Path

from audio_pipeline import attributes as attr
from audio_pipeline.metrics import MetricsSink
from audio_pipeline.metrics.aggregates import Aggregates, FamiliesCollector
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipelinectl.settings import REPO_ROOT

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

# A file that went the whole way, with per-file values that must never become labels.
FINISHED = {
    attr.SOURCE: "folder",
    attr.DURATION_SECONDS: "3.5",
    attr.CLASS: "speech",
    attr.CLASS_CONFIDENCE: "0.87",
    attr.QUALITY_LABEL: "good",
    attr.PESQ_MOS: "3.9",
    attr.PESQ_MODE: "wb",
    attr.FINGERPRINT_MATCH: "catalog-17",
    attr.DUPLICATE_OF: "",
    attr.FILENAME: "secret-name.wav",
    attr.SHA256: "ab" * 32,
}


def make_sink(state_dir: Path | None = None, component: str = "Test", **options: object) -> MetricsSink:
    """A sink that never pushes and has no pusher thread (flush and close save only)."""
    kwargs: dict[str, object] = {"pushgateway_url": None, "state_dir": state_dir, "start_thread": False}
    kwargs.update(options)
    return MetricsSink(component, **kwargs)  # type: ignore[arg-type]


def exposition(aggregates: Aggregates) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FamiliesCollector(aggregates))  # type: ignore[arg-type]
    return generate_latest(registry)


def parse_samples(text: bytes) -> Samples:
    """Parse an exposition back: (sample name, sorted labels) -> value."""
    result = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


def worker_process_env() -> dict[str, str]:
    """The environment of a Python subprocess that imports audio_pipeline (a stand-in processor)."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT / "nifi" / "python-processors")}
