"""In-memory aggregates: cardinality cap, series at 0 from the start, JSON state round trip."""

from __future__ import annotations

import json
from pathlib import Path

from audio_pipeline.metrics import aggregates as agg
from audio_pipeline.metrics import catalogue as m
from support.metrics_samples import exposition, parse_samples

# A slot file as version 1 (status labels success/failure) wrote it: 3 ok folder files, 2 quarantined
# http files (not_audio, corrupt_audio), one decode stage timing.
VERSION_1_STATE = Path(__file__).parent / "data" / "slot-state-v1.json"


def test_label_cardinality_is_capped() -> None:
    aggregates = agg.Aggregates()
    for i in range(agg.MAX_SERIES_PER_METRIC + 50):
        aggregates.inc(m.CLASSIFICATIONS, (f"class-{i}",))
    series = aggregates.to_json()["counters"]["audio_pipeline_classifications"]
    assert len(series) == agg.MAX_SERIES_PER_METRIC + 1
    assert dict((tuple(k), v) for k, v in series)[(agg.OVERFLOW_LABEL_VALUE,)] == 50
    aggregates.inc(m.CLASSIFICATIONS, ("class-3",))  # a known value keeps its own series
    assert aggregates.counter_value(m.CLASSIFICATIONS, ("class-3",)) == 2


def test_initial_series_exist_at_zero() -> None:
    got = parse_samples(exposition(agg.Aggregates()))
    for source in m.KNOWN_SOURCES:
        for status in m.STATUSES:
            assert got[("audio_pipeline_files_total", (("source", source), ("status", status)))] == 0
    for kind in m.SHUTDOWN_KINDS:
        assert got[("audio_pipeline_worker_starts_total", (("previous_shutdown", kind),))] == 0
    assert got[("audio_pipeline_fingerprint_matches_total", ())] == 0
    for profile in m.LOUDNESS_PROFILES:
        for compliant in m.COMPLIANT_VALUES:
            assert got[("audio_pipeline_loudness_files_total", (("compliant", compliant), ("profile", profile)))] == 0
    for source in m.KNOWN_SOURCES:
        assert got[("audio_pipeline_transcribed_audio_seconds_total", (("source", source),))] == 0


def test_generation_counts_changes() -> None:
    aggregates = agg.Aggregates()
    before = aggregates.generation
    aggregates.inc(m.FILES, ("http", "ok"))
    aggregates.observe(m.STAGE, ("decode",), 0.2)
    assert aggregates.generation == before + 2


def test_json_state_round_trip() -> None:
    original = agg.Aggregates()
    original.inc(m.FILES, ("http", "ok"), 3)
    original.observe(m.STAGE, ("decode",), 0.2)
    original.observe(m.STAGE, ("decode",), 100.0)  # +Inf bucket
    document = original.to_json()
    assert document["version"] == agg.STATE_VERSION
    copy = agg.Aggregates()
    assert copy.load_json(document) is True
    assert copy.to_json() == document
    assert exposition(copy) == exposition(original)


def test_state_with_changed_buckets_or_another_version_is_handled() -> None:
    saved = agg.Aggregates()
    saved.observe(m.STAGE, ("decode",), 0.5)
    saved.inc(m.FILES, ("http", "ok"))
    document = saved.to_json()
    document["histograms"]["audio_pipeline_stage_duration_seconds"]["buckets"] = [1.0]
    document["counters"]["audio_pipeline_removed_metric"] = [[["x"], 1.0]]
    again = agg.Aggregates()
    assert again.load_json(document) is True
    assert again.counter_value(m.FILES, ("http", "ok")) == 1
    assert again.histogram_count(m.STAGE, ("decode",)) == 0

    fresh = agg.Aggregates()
    assert fresh.load_json({**saved.to_json(), "version": agg.STATE_VERSION + 1}) is False
    assert fresh.load_json({}) is False
    assert fresh.counter_value(m.FILES, ("http", "ok")) == 0


def test_version_1_state_is_upgraded_to_the_results_table_status_words() -> None:
    aggregates = agg.Aggregates()
    assert aggregates.load_json(json.loads(VERSION_1_STATE.read_text())) is True
    files = {tuple(labels): value for labels, value in aggregates.to_json()["counters"]["audio_pipeline_files"]}
    assert files == {
        ("folder", "ok"): 3,
        ("folder", "quarantined"): 0,
        ("http", "ok"): 0,
        ("http", "quarantined"): 2,
        ("catalog", "ok"): 0,
        ("catalog", "quarantined"): 0,
    }
    assert aggregates.histogram_count(m.LATENCY, ("folder", "ok")) == 3
    assert aggregates.histogram_count(m.LATENCY, ("http", "quarantined")) == 1
    assert aggregates.counter_value(m.FAILURES, ("not_audio",)) == 1
    assert aggregates.counter_value(m.CLASSIFICATIONS, ("speech",)) == 3
    assert aggregates.counter_value(m.WORKER_STARTS, ("first",)) == 1
    assert aggregates.histogram_count(m.STAGE, ("decode",)) == 1
    text = exposition(aggregates).decode()
    assert 'status="success"' not in text and 'status="failure"' not in text
