"""Unit tests of audio_pipeline.metrics without a Pushgateway: mapping, limits, state, slots."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from audio_pipeline.metrics import aggregates, environment, parsing
from audio_pipeline.metrics import catalogue as m
from prometheus_client.parser import text_string_to_metric_families

from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


def make_sink(tmp_path: Path | None = None, component: str = "Test", **options: object) -> metrics.MetricsSink:
    kwargs: dict[str, object] = {"pushgateway_url": None, "state_dir": tmp_path, "start_thread": False}
    kwargs.update(options)
    return metrics.MetricsSink(component, **kwargs)  # type: ignore[arg-type]


def samples(sink: metrics.MetricsSink) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse the exposition back: (sample name, sorted labels) -> value."""
    result = {}
    for family in text_string_to_metric_families(sink.exposition().decode()):
        for sample in family.samples:
            result[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return result


SUCCESS = {
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


def test_record_success_maps_attributes_to_metrics() -> None:
    sink = make_sink()
    now = 1_000_000.0
    sink.record_result({**SUCCESS, attr.INGESTED_AT: str(int((now - 2.5) * 1000))}, "success", now=now)
    got = samples(sink)
    assert got[("audio_pipeline_files_total", (("source", "folder"), ("status", "success")))] == 1
    assert got[("audio_pipeline_classifications_total", (("class", "speech"),))] == 1
    assert got[("audio_pipeline_quality_total", (("label", "good"),))] == 1
    assert got[("audio_pipeline_fingerprint_matches_total", ())] == 1
    assert got[("audio_pipeline_duplicates_total", ())] == 0
    assert got[("audio_pipeline_audio_seconds_total", (("source", "folder"),))] == 3.5
    assert got[("audio_pipeline_pesq_mos_count", (("mode", "wb"),))] == 1
    assert got[("audio_pipeline_pesq_mos_bucket", (("le", "3.75"), ("mode", "wb")))] == 0
    assert got[("audio_pipeline_pesq_mos_bucket", (("le", "4.0"), ("mode", "wb")))] == 1
    assert got[("audio_pipeline_classification_confidence_sum", (("class", "speech"),))] == pytest.approx(0.87)
    latency = ("audio_pipeline_end_to_end_latency_seconds_sum", (("source", "folder"), ("status", "success")))
    assert got[latency] == pytest.approx(2.5)
    assert not any(name.startswith("audio_pipeline_failures") and value for (name, _), value in got.items())


def test_record_failure_counts_reason_only() -> None:
    sink = make_sink()
    sink.record_result({attr.SOURCE: "http", attr.ERROR: "not_audio", attr.CLASS: "speech"}, "failure")
    sink.record_result({attr.SOURCE: "http"}, "failure")
    got = samples(sink)
    assert got[("audio_pipeline_failures_total", (("reason", "not_audio"),))] == 1
    assert got[("audio_pipeline_failures_total", (("reason", "unknown"),))] == 1
    assert got[("audio_pipeline_files_total", (("source", "http"), ("status", "failure")))] == 2
    assert ("audio_pipeline_classifications_total", (("class", "speech"),)) not in got


def test_no_per_file_values_in_labels() -> None:
    sink = make_sink()
    sink.record_result({**SUCCESS, attr.DUPLICATE_OF: "abc123"}, "success")
    text = sink.exposition().decode()
    for value in (SUCCESS[attr.FILENAME], SUCCESS[attr.SHA256], "catalog-17", "abc123"):
        assert value not in text
    label_names = {name for family in text_string_to_metric_families(text) for s in family.samples for name in s.labels}
    assert label_names <= {"source", "status", "class", "label", "reason", "mode", "stage", "le", "previous_shutdown"}


def test_bad_and_missing_values_are_ignored() -> None:
    sink = make_sink()
    sink.record_result(
        {
            attr.DURATION_SECONDS: "nan",
            attr.PESQ_MOS: "x",
            attr.INGESTED_AT: "soon",
            attr.CLASS: "music",
            attr.CLASS_CONFIDENCE: "inf",
            attr.FINGERPRINT_MATCH: "false",
        },
        "success",
    )
    got = samples(sink)
    assert got[("audio_pipeline_files_total", (("source", "unknown"), ("status", "success")))] == 1
    assert got[("audio_pipeline_classifications_total", (("class", "music"),))] == 1
    assert got[("audio_pipeline_fingerprint_matches_total", ())] == 0
    assert not [key for key in got if key[0].startswith(("audio_pipeline_pesq_mos", "audio_pipeline_audio_dur"))]
    assert not [key for key in got if "confidence" in key[0] or "latency" in key[0]]


def test_future_ingest_time_is_not_observed() -> None:
    sink = make_sink()
    sink.record_result({attr.INGESTED_AT: str(int(time.time() * 1000) + 60_000)}, "success")
    assert sink.aggregates.histogram_count(m.LATENCY, ("unknown", "success")) == 0


def test_status_and_stage_are_validated() -> None:
    sink = make_sink()
    with pytest.raises(ValueError):
        sink.record_result({}, "ok")
    with pytest.raises(ValueError):
        sink.observe_stage("Decode Audio", 0.1)
    sink.observe_stage("decode", -1.0)
    sink.observe_stage("decode", float("nan"))
    assert sink.aggregates.histogram_count(m.STAGE, ("decode",)) == 0


def test_time_stage_records_even_on_error() -> None:
    sink = make_sink()
    with sink.time_stage("classify"):
        time.sleep(0.01)
    with pytest.raises(RuntimeError), sink.time_stage("classify"):
        raise RuntimeError("boom")
    assert sink.aggregates.histogram_count(m.STAGE, ("classify",)) == 2
    got = samples(sink)
    assert got[("audio_pipeline_stage_duration_seconds_sum", (("stage", "classify"),))] >= 0.01


def test_label_cardinality_is_capped() -> None:
    sink = make_sink()
    for i in range(aggregates.MAX_SERIES_PER_METRIC + 50):
        sink.record_result({attr.SOURCE: "folder", attr.CLASS: f"class-{i}"}, "success")
    series = sink.aggregates.to_json()["counters"]["audio_pipeline_classifications"]
    assert len(series) == aggregates.MAX_SERIES_PER_METRIC + 1
    assert dict((tuple(k), v) for k, v in series)[("other",)] == 50
    sink.record_result({attr.SOURCE: "folder", attr.CLASS: "x" * 500}, "success")
    assert all(len(labels[0]) <= parsing.MAX_LABEL_VALUE_LENGTH for labels, _ in series)


def test_exposition_passes_promtool_and_names_follow_conventions() -> None:
    sink = make_sink()
    sink.record_result({**SUCCESS, attr.INGESTED_AT: str(int(time.time() * 1000))}, "success")
    sink.observe_stage("decode", 0.02)
    text = sink.exposition()
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    names = {family.name for family in text_string_to_metric_families(text.decode())}
    for name in metrics.metric_names():
        assert name.startswith("audio_pipeline_")
        assert name.removesuffix("_total") in names
    assert all(h.name.endswith(("_seconds", "_mos", "_confidence")) for h in metrics.HISTOGRAMS)


def test_initial_series_exist_at_zero() -> None:
    got = samples(make_sink())
    for source in metrics.KNOWN_SOURCES:
        for status in metrics.STATUSES:
            assert got[("audio_pipeline_files_total", (("source", source), ("status", status)))] == 0
    assert got[("audio_pipeline_worker_starts_total", (("previous_shutdown", "unclean"),))] == 0
    assert got[("audio_pipeline_worker_starts_total", (("previous_shutdown", "first"),))] == 1


def test_slots_are_exclusive_and_reused_with_their_counts(tmp_path: Path) -> None:
    first = make_sink(tmp_path, "ClassifyAudio")
    second = make_sink(tmp_path, "ClassifyAudio")
    other = make_sink(tmp_path, "DecodeAudio")
    assert (first.worker, second.worker, other.worker) == ("ClassifyAudio-0", "ClassifyAudio-1", "DecodeAudio-0")
    for _ in range(3):
        first.record_result({attr.SOURCE: "folder"}, "success")
    assert (tmp_path / "ClassifyAudio-0.dirty").exists()  # recorded, not saved yet
    first.close()
    assert not (tmp_path / "ClassifyAudio-0.dirty").exists()

    successor = make_sink(tmp_path, "ClassifyAudio")
    assert successor.worker == "ClassifyAudio-0"
    assert successor.previous_shutdown == "clean"
    successor.record_result({attr.SOURCE: "folder"}, "success")
    assert successor.aggregates.counter_value(m.FILES, ("folder", "success")) == 4
    assert successor.aggregates.counter_value(m.WORKER_STARTS, ("first",)) == 1
    assert successor.aggregates.counter_value(m.WORKER_STARTS, ("clean",)) == 1
    for sink in (second, other, successor):
        sink.close()


def test_state_with_changed_buckets_or_garbage_is_handled(tmp_path: Path) -> None:
    sink = make_sink(tmp_path)
    sink.observe_stage("decode", 0.5)
    sink.record_result({attr.SOURCE: "http"}, "success")
    sink.close()
    path = tmp_path / "Test-0.json"
    document = json.loads(path.read_text())
    document["histograms"]["audio_pipeline_stage_duration_seconds"]["buckets"] = [1.0]
    path.write_text(json.dumps(document))
    again = make_sink(tmp_path)
    assert again.aggregates.counter_value(m.FILES, ("http", "success")) == 1
    assert again.aggregates.histogram_count(m.STAGE, ("decode",)) == 0
    again.close()
    path.write_text("{not json")
    third = make_sink(tmp_path)
    assert third.previous_shutdown == "unclean"
    assert third.aggregates.counter_value(m.FILES, ("http", "success")) == 0
    third.close()


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from audio_pipeline import metrics
    sink = metrics.configure("Crashy", env={"METRICS_STATE_DIR": sys.argv[1], "PUSHGATEWAY_URL": "off",
                                            "METRICS_PUSH_INTERVAL_SECONDS": "600"})
    print(sink.worker, sink.previous_shutdown, flush=True)
    for _ in range(int(sys.argv[2])):
        metrics.record_result({"audio.source": "folder"}, "success")
    metrics.flush()
    for _ in range(int(sys.argv[3])):
        metrics.record_result({"audio.source": "folder"}, "success")  # not saved before the kill
    print("recorded", flush=True)
    time.sleep(60 if sys.argv[4] == "hang" else 0)
    """
)


def run_worker(state_dir: Path, saved: int, unsaved: int, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "nifi" / "python-processors")}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(state_dir), str(saved), str(unsaved), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill_after_recording(worker: subprocess.Popen[str]) -> list[str]:
    assert worker.stdout is not None
    first = worker.stdout.readline().split()
    assert worker.stdout.readline().strip() == "recorded"
    worker.send_signal(signal.SIGKILL)  # what NiFi does to its Python processes on shutdown
    worker.wait(timeout=10)
    return first


def saved_files(state_dir: Path) -> float:
    state = json.loads((state_dir / "Crashy-0.json").read_text())
    return {tuple(k): v for k, v in state["counters"]["audio_pipeline_files"]}[("folder", "success")]


def test_sigkill_with_unsaved_counts_is_reported_and_counts_continue(tmp_path: Path) -> None:
    assert kill_after_recording(run_worker(tmp_path, 5, 1, "hang")) == ["Crashy-0", "first"]
    assert (tmp_path / "Crashy-0.dirty").exists()
    assert saved_files(tmp_path) == 5  # the sixth file is the documented loss

    # Killed again, but everything was saved: nothing lost, so not reported.
    assert kill_after_recording(run_worker(tmp_path, 2, 0, "hang")) == ["Crashy-0", "unclean"]
    assert not (tmp_path / "Crashy-0.dirty").exists()
    assert saved_files(tmp_path) == 7

    out, _ = run_worker(tmp_path, 0, 1, "exit").communicate(timeout=30)  # normal exit: atexit saves
    assert out.split() == ["Crashy-0", "clean", "recorded"]
    assert saved_files(tmp_path) == 8
    assert not (tmp_path / "Crashy-0.dirty").exists()
    state = json.loads((tmp_path / "Crashy-0.json").read_text())
    starts = {tuple(k): v for k, v in state["counters"]["audio_pipeline_worker_starts"]}
    assert starts == {("first",): 1, ("unclean",): 1, ("clean",): 1}


def test_env_configuration() -> None:
    assert environment.pushgateway_url({}) == "http://127.0.0.1:9091"
    assert environment.pushgateway_url({"PUSHGATEWAY_PORT": "19091"}) == "http://127.0.0.1:19091"
    assert environment.pushgateway_url({"PUSHGATEWAY_URL": "http://pg:9091"}) == "http://pg:9091"
    assert environment.pushgateway_url({"PUSHGATEWAY_URL": "off"}) is None
    assert environment.state_dir({}) is None
    assert environment.state_dir({"PIPELINE_DATA_DIR": "/d"}) == Path("/d/state/metrics")
    assert environment.state_dir({"PIPELINE_DATA_DIR": "/d", "METRICS_STATE_DIR": "/m"}) == Path("/m")


def test_module_api_uses_one_sink_per_process(tmp_path: Path) -> None:
    metrics.close()
    try:
        sink = metrics.configure("Adapter", env={"PUSHGATEWAY_URL": "off"}, state_dir=tmp_path, start_thread=False)
        assert metrics.configure("Other") is sink
        metrics.record_result({attr.SOURCE: "folder"}, "success")
        metrics.observe_stage("pesq", 0.3)
        with metrics.time_stage("fingerprint"):
            pass
        assert sink.aggregates.counter_value(m.FILES, ("folder", "success")) == 1
        assert sink.aggregates.histogram_count(m.STAGE, ("fingerprint",)) == 1
        assert metrics.flush() is False  # pushing is off
    finally:
        metrics.close()
    assert (tmp_path / "Adapter-0.json").exists()
    assert not (tmp_path / "Adapter-0.dirty").exists()


def test_recording_is_cheap() -> None:
    sink = make_sink()
    attributes = {**SUCCESS, attr.INGESTED_AT: str(int(time.time() * 1000))}
    started = time.perf_counter()
    for _ in range(2000):
        sink.record_result(attributes, "success")
        sink.observe_stage("decode", 0.01)
    per_call = (time.perf_counter() - started) / 2000
    assert per_call < 0.001, f"record_result + observe_stage took {per_call * 1e6:.0f} µs"
