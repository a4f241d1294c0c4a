"""TF Serving's monitoring: the Prometheus series tensorflow_model_server exports, with its names.

What `--monitoring_config_file` turns on and the REST port serves at the configured path. Names,
labels, help texts and buckets are TF Serving's, so that dashboards and alert rules written for the
real server work unchanged on the stand-in. Built on prometheus-client; the counters are collected
by hand because prometheus-client would name them `..._total`, which TF Serving does not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import Metric

REQUEST_COUNT = ":tensorflow:serving:request_count"
LOAD_ATTEMPT_COUNT = ":tensorflow:cc:saved_model:load_attempt_count"
COUNTER_HELP = {
    REQUEST_COUNT: "The total number of requests.",
    LOAD_ATTEMPT_COUNT: "The number of times a SavedModel was attempted to load.",
}
LATENCY_BUCKETS_US = tuple(float(f"{10.0 * 1.8**i:.6g}") for i in range(33))  # TF Serving's latency buckets
BATCH_SIZE_BUCKETS = tuple(float(2**i) for i in range(12))
EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _microseconds_since(started: float) -> float:
    return (time.perf_counter() - started) * 1e6


class Monitoring:
    """The stand-in's TF Serving series, recorded by the servers and exposed in Prometheus text format."""

    def __init__(self) -> None:
        disable_created_metrics()  # TF Serving exports no *_created series
        self.registry = CollectorRegistry()
        self._lock = threading.Lock()
        self._counts: dict[str, dict[tuple[tuple[str, str], ...], float]] = {name: {} for name in COUNTER_HELP}
        self._request_latency = Histogram(
            ":tensorflow:serving:request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ["model_name", "API", "entrypoint"],
            buckets=LATENCY_BUCKETS_US,
            registry=self.registry,
        )
        self._runtime_latency = Histogram(
            ":tensorflow:serving:runtime_latency",
            "Distribution of wall time (in microseconds) for Tensorflow runtime.",
            ["model_name", "API", "runtime"],
            buckets=LATENCY_BUCKETS_US,
            registry=self.registry,
        )
        self._input_batch_size = Histogram(
            ":tensorflow:serving:batching_session:input_batch_size",
            "Tracks the batch size distribution on the inputs by model.",
            ["model_name"],
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(self)  # collect() below yields the counters

    def _count(self, name: str, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counts[name][key] = self._counts[name].get(key, 0.0) + 1.0

    def record_load(self, model_path: str, succeeded: bool) -> None:
        """One attempt to load a SavedModel version."""
        self._count(LOAD_ATTEMPT_COUNT, model_path=model_path, status="success" if succeeded else "failure")

    def record_request(self, model_name: str, entrypoint: str, status: str, started: float) -> None:
        """One Predict request, by gRPC or REST (`entrypoint`), with its gRPC status name; `started` is perf_counter."""
        self._count(REQUEST_COUNT, model_name=model_name, status=status)
        self._request_latency.labels(model_name, "predict", entrypoint).observe(_microseconds_since(started))

    def record_batch_size(self, model_name: str, size: int) -> None:
        self._input_batch_size.labels(model_name).observe(size)

    def record_runtime(self, model_name: str, started: float) -> None:
        """The time TensorFlow spent running one Predict's signature; `started` is perf_counter."""
        self._runtime_latency.labels(model_name, "Predict", "TF1").observe(_microseconds_since(started))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snapshot = {name: dict(values) for name, values in self._counts.items()}
        for name, values in snapshot.items():
            metric = Metric(name, COUNTER_HELP[name], "counter")
            for key, value in sorted(values.items()):
                metric.add_sample(name, dict(key), value)
            yield metric

    def exposition(self) -> bytes:
        """Prometheus text format; counters keep TF Serving's names (prometheus-client would add _total)."""
        text = generate_latest(self.registry).decode()
        for name in COUNTER_HELP:
            text = text.replace(f"# HELP {name}_total ", f"# HELP {name} ").replace(
                f"# TYPE {name}_total ", f"# TYPE {name} "
            )
        return text.encode()
