"""bench.soak's pure parts: how POSTs and outcomes are counted, the back-pressure bound, slopes and
windows, arrivals, and the report (the run itself: tests/e2e/test_e2e_soak.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import requests

from bench.soak import cli, feed, figures
from bench.soak.report import render, targets
from pipelinectl import flow


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (200, None, "accepted"),
        (503, None, "refused_503"),
        (500, None, "other_status"),
        (502, None, "other_status"),
        (404, None, "other_status"),
        (None, requests.ConnectionError("refused"), "connection_error"),
        (None, requests.exceptions.ChunkedEncodingError("cut"), "connection_error"),
        (None, requests.ReadTimeout("hung"), "timeout"),
        (None, requests.ConnectTimeout("hung connect"), "timeout"),  # also a ConnectionError
    ],
)
def test_classify_tells_503_from_every_other_failure(
    status: int | None, error: BaseException | None, kind: str
) -> None:
    assert figures.classify(status, error) == kind


def test_post_counts_has_every_kind_even_when_none_happened() -> None:
    counts = figures.post_counts(["accepted", "accepted", "refused_503", "timeout"])
    assert counts == {
        "accepted": 2,
        "refused_503": 1,
        "other_status": 0,
        "connection_error": 0,
        "timeout": 1,
        "sent": 4,
    }
    with pytest.raises(ValueError, match="unknown"):
        figures.post_counts(["maybe"])


def test_lost_counts_accepted_files_without_exactly_one_outcome() -> None:
    outcomes = ["a", "b", "b", "d", "r2"]  # c has none, b two; d was never accepted (not counted)
    counts = figures.outcome_counts({"a", "b", "c"}, {"r1", "r2"}, outcomes)
    assert counts == {"lost": 2, "missing": 1, "duplicated": 1, "refused_but_processed": 1}
    assert figures.outcome_counts({"a"}, set(), ["a"])["lost"] == 0


def test_thresholds_of_the_committed_flow() -> None:
    committed = flow.read_flow()
    thresholds = figures.committed_thresholds(committed)
    # the transcription queue is the small one; the ingest queue the one ListenHTTP waits on
    assert thresholds[("Analyse", "ScoreSpeechQuality", "TranscribeSpeech")] == 200
    assert thresholds[("Ingest", "Receive HTTP", "Mark HTTP source")] == 10000
    connections = sum(1 for _ in figures._group_connections(committed["flowContents"], ""))
    assert figures.queue_bound(committed) >= 200 + 10000 * (connections - 2)


def test_queue_bound_sums_nested_groups() -> None:
    snapshot = {
        "flowContents": {
            "connections": [{"source": {"name": "a"}, "destination": {"name": "b"}, "backPressureObjectThreshold": 5}],
            "processGroups": [
                {
                    "name": "G",
                    "connections": [
                        {"source": {"name": "x"}, "destination": {"name": "y"}, "backPressureObjectThreshold": 7},
                        {"source": {"name": "x"}, "destination": {"name": "y"}, "backPressureObjectThreshold": 3},
                    ],
                }
            ],
        }
    }
    assert figures.queue_bound(snapshot) == 15
    assert figures.committed_thresholds(snapshot) == {("", "a", "b"): 5, ("G", "x", "y"): 3}


def _status() -> dict:
    def connection(cid: str, source: str, destination: str, queued: int) -> dict:
        return {
            "id": cid,
            "connectionStatusSnapshot": {
                "id": cid,
                "sourceName": source,
                "destinationName": destination,
                "flowFilesQueued": queued,
            },
        }

    return {
        "aggregateSnapshot": {
            "name": "audio-pipeline",
            "flowFilesQueued": 215,
            "connectionStatusSnapshots": [connection("c0", "ingested", "ingested", 4)],
            "processGroupStatusSnapshots": [
                {
                    "id": "g1",
                    "processGroupStatusSnapshot": {
                        "name": "Analyse",
                        "connectionStatusSnapshots": [
                            connection("c1", "ScoreSpeechQuality", "TranscribeSpeech", 201),
                            connection("c2", "DecodeAudio", "ClassifyAudio", 10),
                        ],
                    },
                }
            ],
        }
    }


def test_connection_depths_and_the_queues_over_their_threshold() -> None:
    depths = figures.connection_depths(_status())
    assert depths == {
        "c0": (("", "ingested", "ingested"), 4),
        "c1": (("Analyse", "ScoreSpeechQuality", "TranscribeSpeech"), 201),
        "c2": (("Analyse", "DecodeAudio", "ClassifyAudio"), 10),
    }
    thresholds = figures.committed_thresholds(flow.read_flow())
    assert figures.over_threshold(depths, thresholds) == [
        {"queue": "Analyse: ScoreSpeechQuality → TranscribeSpeech", "max_queued": 201, "threshold": 200}
    ]


def test_slope_is_least_squares_in_units_per_minute() -> None:
    assert figures.slope_per_minute([(0, 100.0), (60, 110.0), (120, 120.0)]) == pytest.approx(10.0)
    noisy = [(0, 1.0), (30, 3.0), (60, 2.0), (90, 4.0)]  # 120 / 4500 per s
    assert figures.slope_per_minute(noisy) == pytest.approx(1.6)
    assert figures.slope_per_minute([(0, 5.0), (60, 5.0)]) == 0.0
    assert math.isnan(figures.slope_per_minute([(10, 5.0)]))
    assert math.isnan(figures.slope_per_minute([(10, 5.0), (10, 6.0)]))
    assert math.isnan(figures.slope_per_minute([(0, math.nan), (10, 6.0)]))


def test_second_half_leaves_out_the_filling_up() -> None:
    points = [(t, float(t)) for t in (0, 10, 49, 50, 80, 100, 120)]
    assert figures.second_half(points, 0, 100) == [(50, 50.0), (80, 80.0), (100, 100.0)]


def _samples() -> list[dict]:
    samples = []
    for t in range(20):  # heap sawtooth whose minima rise 1 MB per 5 s; one worker grows, one not
        samples.append(
            {
                "t": float(t),
                "queued": t,
                "heap_mb": 500 + t // 5 + (t % 5) * 50,
                "jvm_rss_mb": 1500.0,
                "rss_mb": {"DecodeAudio (pid 1)": 100.0 + t, "ClassifyAudio (pid 2)": 200.0},
            }
        )
    samples.append({"t": 20.5, "queued": None, "heap_mb": None})  # a failed sample, drained phase
    return samples


def test_windows_take_the_heap_minimum_and_the_deepest_queue() -> None:
    series = figures.windows(_samples(), 5.0, 21.0)
    assert [(w.start_s, w.end_s, w.samples) for w in series] == [
        (0, 5, 5),
        (5, 10, 5),
        (10, 15, 5),
        (15, 20, 5),
        (20, 21.0, 1),
    ]
    assert [w.heap_min_mb for w in series[:4]] == [500, 501, 502, 503]
    assert series[0].heap_max_mb == 700
    assert [w.queued_max for w in series] == [4, 9, 14, 19, None]
    assert series[1].rss_mb == {"ClassifyAudio (pid 2)": 200.0, "DecodeAudio (pid 1)": 107.0}
    assert series[4].heap_min_mb is None and series[4].rss_mb == {}


def test_trends_over_the_second_half_per_process() -> None:
    series = figures.windows(_samples(), 5.0, 21.0)
    found = figures.trends(series, 20.0)
    assert found["heap_after_gc_slope_mb_per_min"] == pytest.approx(12.0)  # windows at 12.5 and 17.5
    assert found["jvm_rss_slope_mb_per_min"] == 0.0
    assert found["python"]["DecodeAudio (pid 1)"]["slope_mb_per_min"] == pytest.approx(60.0)
    assert found["python"]["ClassifyAudio (pid 2)"] == {
        "first_mb": 200.0,
        "last_mb": 200.0,
        "max_mb": 200.0,
        "slope_mb_per_min": 0.0,
    }


def test_heap_after_gc_from_the_samples_that_followed_a_collection() -> None:
    samples = [
        {"t": 0.0, "heap_mb": 300.0, "gc_count": 4},
        {"t": 1.0, "heap_mb": 900.0, "gc_count": 4},
        {"t": 2.0, "heap_mb": 200.0, "gc_count": 5},  # after a GC
        {"t": 3.0, "heap_mb": None, "gc_count": None},  # a failed sample
        {"t": 4.0, "heap_mb": 800.0, "gc_count": 5},
        {"t": 65.0, "heap_mb": 210.0, "gc_count": 7},  # after two
        {"t": 70.0, "heap_mb": 700.0, "gc_count": 7},
        {"t": 110.0, "heap_mb": 220.0, "gc_count": 8},
    ]
    assert figures.after_gc(samples) == [(2.0, 200.0), (65.0, 210.0), (110.0, 220.0)]
    series = figures.windows(samples, 30.0, 120.0)
    found = figures.trends(series, 120.0, samples)
    assert found["heap_after_gc_basis"] == "2 samples after a GC"
    assert found["heap_after_gc_slope_mb_per_min"] == pytest.approx(10 / 45 * 60)  # second half: 65 s and 110 s
    assert figures.trends(series, 120.0)["heap_after_gc_basis"] == "window minima"  # no GC counts: minima
    one = figures.trends(series, 120.0, samples[:-1])  # a single GC in the second half: no slope
    assert math.isnan(one["heap_after_gc_slope_mb_per_min"]) and one["heap_after_gc_basis"].startswith("1 GC")


@pytest.mark.parametrize(("text", "seconds"), [("600", 600), ("90s", 90), ("10m", 600), ("1.5h", 5400)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert figures.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10 min", "-5", "0", "m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        figures.parse_duration(text)


def test_arrivals_even_and_poisson() -> None:
    assert feed.arrivals(2.0, 3.0) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    poisson = feed.arrivals(5.0, 200.0, "poisson", seed=3)
    assert poisson == feed.arrivals(5.0, 200.0, "poisson", seed=3)  # seeded
    assert poisson == sorted(poisson) and 0 < poisson[0] and poisson[-1] < 200
    assert len(poisson) == pytest.approx(1000, rel=0.1)
    with pytest.raises(ValueError):
        feed.arrivals(1.0, 10.0, "bursty")


def test_outcome_filenames_reads_the_filename_attribute(tmp_path: Path) -> None:
    results, quarantine = tmp_path / "results", tmp_path / "quarantine"
    results.mkdir()
    quarantine.mkdir()
    (results / "s1-soak-00000.wav--u1.json").write_text('{"filename": "s1-soak-00000.wav"}')
    (results / "s1-soak-00000.wav--u1.vtt").write_text("WEBVTT")
    (results / "other-file.wav--u2.json").write_text('{"filename": "other-file.wav"}')
    (quarantine / "s1-soak-00001.wav--u3").write_bytes(b"audio")
    (quarantine / "s1-soak-00001.wav--u3.json").write_text('{"filename": "s1-soak-00001.wav"}')
    (quarantine / "s1-soak-00002.wav--u4.json").write_text("{half")
    found = feed.outcome_filenames([results, quarantine], "s1-soak-")
    assert sorted(found) == ["", "s1-soak-00000.wav", "s1-soak-00001.wav"]


def test_cli_plan_from_the_options() -> None:
    plan = cli.plan_from(cli.parse_args(["--duration", "3m", "--overload", "1.5", "--saturation", "0.3"]))
    assert (plan.duration_s, plan.overload, plan.saturation, plan.arrivals) == (180.0, 1.5, 0.3, "even")
    assert (
        cli.plan_from(cli.parse_args([])).duration_s == 600.0 and cli.plan_from(cli.parse_args([])).saturation is None
    )
    assert cli.plan_from(cli.parse_args([])).window_s == 20.0
    with pytest.raises(SystemExit):
        cli.plan_from(cli.parse_args(["--duration", "soon"]))


def _report(**changes: object) -> dict:
    series = figures.windows(_samples(), 5.0, 21.0)
    report = {
        "started_at": "2026-12-06T22:00:00+00:00",
        "machine": {"cpu_model": "EPYC", "cores": 2, "ram_gb": 23.5, "load_average": "1.00"},
        "instance": "private",
        "nifi_heap": "2g",
        "clips": "speech-10s",
        "plan": {"overload": 1.2, "arrivals": "even"},
        "probe": {"in_flight": 8, "seconds": 20.0, "posted": 14, "files": 9},
        "saturation_files_per_s": 0.25,
        "offered_files_per_s": 0.3,
        "offered_files": 18,
        "late_sends": 0,
        "feed_s": 20.0,
        "drain_s": 1.0,
        "posts": figures.post_counts(["accepted"] * 17 + ["refused_503"]),
        "outcomes": figures.outcome_counts({f"f{i}" for i in range(17)}, {"r"}, [f"f{i}" for i in range(17)]),
        "quarantined": 0,
        "latency": {"n": 17, "p50_s": 4.2, "p95_s": 9.0, "p99_s": 9.5, "max_s": 9.7},
        "queue": {
            "max_queued": 19,
            "bound_sum_of_thresholds": 450200,
            "deepest_queue": "Analyse: ScoreSpeechQuality → TranscribeSpeech",
            "deepest_queue_max": 12,
            "deepest_queue_threshold": 200,
            "over_threshold": [],
            "smallest_threshold": 200,
        },
        "series": [w.__dict__ for w in series],
        "memory": figures.trends(series, 20.0) | {"heap_max_mb": 2048.0},
    }
    return report | changes


def test_targets_judge_refusals_losses_and_queues_and_leave_trends_to_the_reader() -> None:
    verdicts = [row[2] for row in targets(_report())]
    assert verdicts == ["met", "met", "met", "met", "reader", "reader"]
    bad = _report(
        posts=figures.post_counts(["accepted", "timeout"]),
        outcomes={"lost": 1, "missing": 1, "duplicated": 0, "refused_but_processed": 0},
    )
    assert [row[2] for row in targets(bad)][:2] == ["MISSED", "MISSED"]
    over = _report(queue=_report()["queue"] | {"over_threshold": [{"queue": "q", "max_queued": 9, "threshold": 8}]})
    assert targets(over)[3][2] == "MISSED"


def test_report_renders_the_figures() -> None:
    text = render(_report())
    for needle in (
        "# Soak 2026-12-06",
        "| sent | accepted | refused (503) |",
        "Analyse: ScoreSpeechQuality → TranscribeSpeech",
        "DecodeAudio (pid 1)",
        "+60.00 MB/min",
        "## Targets (reported, not asserted)",
        "0.25",
        "0.3",
    ):
        assert needle in text, needle
    assert "n/a" in render(_report(series=[], memory={}, probe=None, latency={}))  # nothing measured still renders
