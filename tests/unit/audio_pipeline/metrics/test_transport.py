"""MetricsSink without a Pushgateway: validation, timing, exposition, slot take-over, cost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.metrics import catalogue as m
from prometheus_client.parser import text_string_to_metric_families
from support.metrics_samples import FINISHED, make_sink, parse_samples

OK = "ok"


def test_status_and_stage_are_validated() -> None:
    sink = make_sink()
    for word in ("done", "success", "failure"):  # success/failure: the words before version 2 of the state
        with pytest.raises(ValueError):
            sink.record_result({}, word)
    with pytest.raises(ValueError):
        sink.observe_stage("Decode Audio", 0.1)
    sink.observe_stage("decode", -1.0)
    sink.observe_stage("decode", float("nan"))
    assert sink.aggregates.histogram_count(m.STAGE, ("decode",)) == 0
    with pytest.raises(ValueError):
        make_sink(component="no spaces")


def test_time_stage_records_even_on_error() -> None:
    sink = make_sink()
    with sink.time_stage("classify"):
        time.sleep(0.01)
    with pytest.raises(RuntimeError), sink.time_stage("classify"):
        raise RuntimeError("boom")
    assert sink.aggregates.histogram_count(m.STAGE, ("classify",)) == 2
    got = parse_samples(sink.exposition())
    assert got[("audio_pipeline_stage_duration_seconds_sum", (("stage", "classify"),))] >= 0.01


def test_a_new_sink_counts_its_first_start_and_exposes_every_family() -> None:
    sink = make_sink()
    sink.record_result(FINISHED, OK, now=1_000_000.0)
    got = parse_samples(sink.exposition())
    assert got[("audio_pipeline_worker_starts_total", (("previous_shutdown", "first"),))] == 1
    assert got[("audio_pipeline_worker_starts_total", (("previous_shutdown", "unclean"),))] == 0
    assert got[("audio_pipeline_files_total", (("source", "folder"), ("status", OK)))] == 1
    families = {family.name for family in text_string_to_metric_families(sink.exposition().decode())}
    assert {name.removesuffix("_total") for name in m.metric_names()} == families  # also those without series


def test_flush_without_pushgateway_saves_and_clears_the_marker(tmp_path: Path) -> None:
    sink = make_sink(tmp_path)
    assert sink.grouping_key["worker"] == "Test-0" and sink.grouping_key["instance"]
    sink.record_result({attr.SOURCE: "http"}, OK)
    assert (tmp_path / "Test-0.dirty").exists()
    assert sink.flush() is False  # nothing to push to
    assert not (tmp_path / "Test-0.dirty").exists()
    sink.delete_group()  # no Pushgateway: nothing to delete
    assert sink.close() is False and sink.close() is True  # a second close is a no-op


def test_many_recordings_are_all_counted() -> None:
    """2,000 results and stage timings in a row (their cost is the benchmark's to print, not a test's)."""
    sink = make_sink()
    attributes = {**FINISHED, attr.INGESTED_AT: str(int(time.time() * 1000))}
    for _ in range(2000):
        sink.record_result(attributes, OK)
        sink.observe_stage("decode", 0.01)
    got = parse_samples(sink.exposition())
    assert got[("audio_pipeline_stage_duration_seconds_count", (("stage", "decode"),))] == 2000
    assert sum(v for (name, _), v in got.items() if name == "audio_pipeline_files_total") == 2000


def test_retries_are_exposed_by_stage_and_reason() -> None:
    sink = make_sink()
    sink.count_retry("fingerprint", "database_error")
    sink.count_retry("fingerprint", "database_error")
    sink.count_retry("decode", "")
    got = parse_samples(sink.exposition())
    assert got[("audio_pipeline_retries_total", (("reason", "database_error"), ("stage", "fingerprint")))] == 2
    assert got[("audio_pipeline_retries_total", (("reason", "unknown"), ("stage", "decode")))] == 1
    with pytest.raises(ValueError):
        sink.count_retry("Fingerprint Audio", "database_error")
