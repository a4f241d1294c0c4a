"""The module-level API the processors call (`audio_pipeline.metrics.configure`, ...)."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from audio_pipeline.metrics import catalogue as m


def test_module_api_uses_one_sink_per_process(tmp_path: Path) -> None:
    metrics.close()
    try:
        sink = metrics.configure("Adapter", env={"PUSHGATEWAY_URL": "off"}, state_dir=tmp_path, start_thread=False)
        assert metrics.configure("Other") is sink
        assert metrics.sink() is sink
        metrics.record_result({attr.SOURCE: "folder"}, "ok")
        metrics.observe_stage("pesq", 0.3)
        with metrics.time_stage("fingerprint"):
            pass
        assert sink.aggregates.counter_value(m.FILES, ("folder", "ok")) == 1
        assert sink.aggregates.histogram_count(m.STAGE, ("fingerprint",)) == 1
        assert metrics.flush() is False  # pushing is off
    finally:
        metrics.close()
    assert (tmp_path / "Adapter-0.json").exists()
    assert not (tmp_path / "Adapter-0.dirty").exists()
    assert metrics.flush() is True  # no sink: nothing to push


def test_names_others_import() -> None:
    assert metrics.metric_names() == m.metric_names()
    assert (metrics.COUNTERS, metrics.HISTOGRAMS, metrics.STATUSES) == (m.COUNTERS, m.HISTOGRAMS, m.STATUSES)
    assert callable(metrics.MetricsSink)
