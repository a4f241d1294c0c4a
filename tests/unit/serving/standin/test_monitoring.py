"""The stand-in's TF Serving monitoring series (serving.standin.monitoring), without TensorFlow."""

from __future__ import annotations

import time

import prometheus_client.metrics
import pytest
from prometheus_client.parser import text_string_to_metric_families

from serving.standin.monitoring import Monitoring


@pytest.fixture
def monitoring(monkeypatch: pytest.MonkeyPatch) -> Monitoring:
    # Monitoring turns prometheus-client's *_created series off process-wide; restore that afterwards.
    monkeypatch.setattr(prometheus_client.metrics, "_use_created", prometheus_client.metrics._use_created)
    return Monitoring()


def _samples(monitoring: Monitoring) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = monitoring.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_keep_tf_servings_names(monitoring: Monitoring) -> None:
    monitoring.record_load("/m/1", succeeded=True)
    monitoring.record_load("/m/2", succeeded=False)
    for status in ("OK", "OK", "NOT_FOUND"):
        monitoring.record_request("clf", "GRPC", status, time.perf_counter())
    text = monitoring.exposition().decode()
    assert "# HELP :tensorflow:serving:request_count The total number of requests.\n" in text
    assert "# TYPE :tensorflow:serving:request_count counter\n" in text
    assert "# TYPE :tensorflow:cc:saved_model:load_attempt_count counter\n" in text
    assert ':tensorflow:serving:request_count{model_name="clf",status="OK"} 2.0\n' in text
    assert ':tensorflow:serving:request_count{model_name="clf",status="NOT_FOUND"} 1.0\n' in text
    assert ':tensorflow:cc:saved_model:load_attempt_count{model_path="/m/1",status="success"} 1.0\n' in text
    assert ':tensorflow:cc:saved_model:load_attempt_count{model_path="/m/2",status="failure"} 1.0\n' in text
    assert "_total" not in text and "_created" not in text


def test_latency_in_microseconds_and_batch_sizes(monitoring: Monitoring) -> None:
    started = time.perf_counter() - 0.002
    monitoring.record_request("clf", "REST", "OK", started)
    monitoring.record_runtime("clf", started)
    monitoring.record_batch_size("clf", 3)
    samples = _samples(monitoring)
    request = (("API", "predict"), ("entrypoint", "REST"), ("model_name", "clf"))
    runtime = (("API", "Predict"), ("model_name", "clf"), ("runtime", "TF1"))
    assert samples[(":tensorflow:serving:request_latency_count", request)] == 1.0
    assert 2_000 <= samples[(":tensorflow:serving:request_latency_sum", request)] < 2_000_000
    assert samples[(":tensorflow:serving:request_latency_bucket", (*request[:2], ("le", "1102.0"), request[2]))] == 0
    assert samples[(":tensorflow:serving:runtime_latency_count", runtime)] == 1.0
    sizes = ":tensorflow:serving:batching_session:input_batch_size"
    assert samples[(f"{sizes}_sum", (("model_name", "clf"),))] == 3.0
    assert samples[(f"{sizes}_bucket", (("le", "2.0"), ("model_name", "clf")))] == 0.0
    assert samples[(f"{sizes}_bucket", (("le", "4.0"), ("model_name", "clf")))] == 1.0


def test_nothing_recorded_exports_no_series(monitoring: Monitoring) -> None:
    text = monitoring.exposition().decode()
    assert [line for line in text.splitlines() if not line.startswith("#")] == []
