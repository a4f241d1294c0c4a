"""Every pipeline panel query returns data from a real Prometheus scraping a real Pushgateway, and
every other panel query (NiFi, model server, cluster: nothing serves them here) is one Prometheus
accepts. The cluster row's data: test_cluster_panel_queries.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import metrics
from support.monitoring_stack import temporary_stack
from support.promql_names import cluster_series, selector_names

from pipelinectl import dashboard_queries, promql
from pipelinectl.services import prometheus as prom
from pipelinectl.settings import Settings


def _transcript(i: int) -> dict[str, str]:
    words = 4 + i
    return {
        attr.TRANSCRIPT: " ".join(["word"] * words),
        attr.TRANSCRIPT_LANGUAGE: ("en", "de")[i % 2],
        attr.TRANSCRIPT_WORDS: str(words),
        attr.TRANSCRIPT_SPEECH_SECONDS: "2.0",
        attr.TRANSCRIPT_SEGMENTS: "[]",
    }


def synthetic_batch(sink: metrics.MetricsSink, round_: int) -> None:
    """A few files of every kind the dashboards show, as the processors would record them."""
    now_ms = int(time.time() * 1000)
    for i in range(6):
        source = ("folder", "http")[i % 2]
        sink.record_result(
            {
                attr.SOURCE: source,
                attr.INGESTED_AT: str(now_ms - 1500 - 100 * i),
                attr.DURATION_SECONDS: str(2.0 + i),
                attr.CLASS: ("speech", "music", "noise")[i % 3],
                attr.CLASS_CONFIDENCE: str(0.6 + 0.05 * i),
                attr.QUALITY_LABEL: ("good", "fair")[i % 2],
                attr.PESQ_MOS: str(2.5 + 0.3 * i),
                attr.PESQ_MODE: "wb",
                attr.FINGERPRINT_MATCH: "catalog-1" if i % 2 else "",
                attr.DUPLICATE_OF: "earlier" if i == 3 else "",
                attr.LOUDNESS_INTEGRATED_LUFS: str(-30.0 + 3 * i),
                attr.LOUDNESS_TRUE_PEAK_DBTP: str(-6.0 + i),
                attr.LOUDNESS_PROFILE: "ebu-r128",
                attr.LOUDNESS_COMPLIANT: "true" if i == 2 else "false",
                attr.LOUDNESS_GAIN_DB: str(7.0 - 3 * i),
                **(_transcript(i) if i % 3 == 0 else {}),  # the speech files
            },
            "ok",
        )
        for stage, seconds in (("decode", 0.01), ("classify", 0.05), ("fingerprint", 0.02), ("pesq", 0.2)):
            sink.observe_stage(stage, seconds * (1 + i + round_))
    sink.count_retry("fingerprint", "database_error")
    sink.record_result({attr.SOURCE: "http", attr.ERROR: "not_audio", attr.INGESTED_AT: str(now_ms)}, "quarantined")
    sink.record_result({attr.SOURCE: "folder", attr.ERROR: "corrupt_audio"}, "quarantined")


def pipeline_only(expr: str) -> bool:
    """Only series our processors push (the cluster exporter's need a cluster)."""
    names = selector_names(expr)
    return all(name.startswith("audio_pipeline_") for name in names) and not names & cluster_series()


def test_every_pipeline_panel_query_returns_data(stack: Settings, tmp_path: Path) -> None:
    sink = metrics.MetricsSink(
        "StoreResult",
        pushgateway_url=prom.pushgateway_url(stack),
        state_dir=tmp_path,
        instance="dashboard-test",
        start_thread=False,
    )
    files = 'sum(audio_pipeline_files_total{instance="dashboard-test"})'
    for round_, expected in ((0, 8), (1, 16)):
        synthetic_batch(sink, round_)
        assert sink.flush()
        promql.wait_for_query(stack, files, lambda r, n=expected: bool(r) and float(r[0]["value"][1]) == n)
        time.sleep(1.5)  # one more scrape, so every rate() window holds two samples after the change
    sink.close()

    checked = []
    for title, expr in dashboard_queries.panel_queries(rate_interval="1m"):
        if not pipeline_only(expr):
            continue
        result = promql.query(stack, expr)
        values = [float(sample["value"][1]) for sample in result]
        assert values, f"{title}: no data for {expr}"
        assert any(value == value for value in values), f"{title}: only NaN for {expr}"  # NaN != NaN
        checked.append(title)
    assert len(checked) >= 15
    titles = {title.split(" / ", 1)[1] for title in checked}
    assert {"Throughput by source", "End-to-end latency percentiles", "PESQ MOS distribution"} <= titles
    assert {"Integrated loudness distribution", "True peak distribution", "Loudness compliance by profile"} <= titles
    assert {
        "Transcribed audio per second",
        "Transcripts by language",
        "Words per minute of speech (median by language)",
    } <= titles
    (compliance,) = [
        e for t, e in dashboard_queries.panel_queries("1m") if t.endswith("Loudness compliance by profile")
    ]
    by_profile = {s["metric"]["profile"]: float(s["value"][1]) for s in promql.query(stack, compliance)}
    assert by_profile == {"ebu-r128": pytest.approx(1 / 6)}  # one in six met it; unused profiles not shown


def test_every_other_panel_query_is_accepted_by_prometheus(stack: Settings) -> None:
    others = [
        (title, expr) for title, expr in dashboard_queries.panel_queries(rate_interval="1m") if not pipeline_only(expr)
    ]
    assert len(others) >= 15
    for title, expr in others:
        try:
            promql.query(stack, expr)  # raises on a query Prometheus refuses; no data is fine here
        except RuntimeError as error:
            raise AssertionError(f"{title}: {error}") from error


def test_error_and_retry_panels_show_zero_in_a_healthy_run(tmp_path: Path) -> None:
    """Only good files so far (a Prometheus of its own: the module's has failures): the failure and
    retry counters have no series, and their panels say 0 rather than "No data"."""
    with temporary_stack(tmp_path / "monitoring") as healthy:
        sink = metrics.MetricsSink(
            "HealthyRun",
            pushgateway_url=prom.pushgateway_url(healthy),
            state_dir=tmp_path / "state",
            instance="healthy-run",
            start_thread=False,
        )
        sink.record_result({attr.SOURCE: "folder", attr.DURATION_SECONDS: "1.0"}, "ok")
        assert sink.flush()
        promql.wait_for_query(healthy, 'audio_pipeline_files_total{instance="healthy-run"}', bool, timeout=30)
        wanted = ("Quarantined files by reason", "Retries by stage and reason")
        queries = [(t, e) for t, e in dashboard_queries.panel_queries(rate_interval="1m") if t.endswith(wanted)]
        assert len(queries) == len(wanted)
        for title, expr in queries:
            values = [float(sample["value"][1]) for sample in promql.query(healthy, expr)]
            assert values == [0.0], (title, values)
