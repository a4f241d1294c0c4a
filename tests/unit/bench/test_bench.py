"""Pure parts of the benchmark (scripts/bench): percentiles, figures, report, corpus spec, helpers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench import corpus as bench_corpus
from bench import figures, machine
from bench import load as bench_load
from bench import memory as bench_memory
from bench import report as bench_report
from bench.corpus import ClipSet
from bench.figures import Throughput
from bench.instance import parse_properties

# -- percentiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy_linear(q: float) -> None:
    values = [*np.random.default_rng(3).exponential(size=101).tolist(), 7.0, 0.0]
    assert figures.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_small_cases() -> None:
    assert figures.percentile([5.0], 99) == 5.0
    assert figures.percentile([1.0, 2.0], 50) == 1.5
    assert figures.percentile([3.0, 1.0, 2.0, 4.0], 100) == 4.0
    assert figures.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 95) == pytest.approx(48.0)
    assert math.isnan(figures.percentile([], 50))
    with pytest.raises(ValueError):
        figures.percentile([1.0], 101)


def test_latency_summary() -> None:
    summary = figures.latency_summary([0.1 * i for i in range(1, 101)])
    assert summary["n"] == 100
    assert summary["p50_s"] == pytest.approx(5.05)
    assert summary["p99_s"] == pytest.approx(9.901)
    assert summary["max_s"] == pytest.approx(10.0)


# -- throughput figures ----------------------------------------------------------------------------


def test_throughput_rates_and_combined_workload() -> None:
    a = Throughput(files=10, audio_s=100.0, wall_s=4.0)
    b = Throughput(files=30, audio_s=300.0, wall_s=36.0, errors=1)
    assert a.audio_s_per_s == 25.0 and a.files_per_s == 2.5
    both = figures.combined([a, b])
    assert (both.files, both.audio_s, both.wall_s, both.errors) == (40, 400.0, 40.0, 1)
    assert both.audio_s_per_s == 10.0  # all the audio over all the time, not the mean of the rates
    assert math.isnan(Throughput(files=0, audio_s=0.0, wall_s=0.0).audio_s_per_s)
    assert a.to_dict()["audio_s_per_s"] == 25.0


def test_ratio_and_linearity() -> None:
    assert figures.ratio(3.0, 4.0) == 0.75
    assert math.isnan(figures.ratio(3.0, 0.0))
    assert math.isnan(figures.ratio(None, 2.0))
    assert figures.linearity([(10, 1.0), (60, 6.0), (600, 60.0)]) == pytest.approx(1.0)
    # a fixed per-file cost is not non-linearity
    assert figures.linearity([(10, 0.5 + 0.01 * 10), (60, 0.5 + 0.01 * 60), (600, 0.5 + 0.01 * 600)]) == pytest.approx(
        1.0
    )
    # quadratic growth is
    assert figures.linearity([(10, 1.0), (60, 36.0), (600, 3600.0)]) > 5
    # work bounded to the first 120 s makes the curve flatten, which is not super-linear...
    bounded = [(s, 0.1 + 0.003 * s + 0.004 * min(s, 120)) for s in (10, 60, 600, 3599)]
    assert figures.linearity(bounded) <= 1.0
    # ...but a slope that rises again after a dip is
    assert figures.linearity([(10, 0.1), (60, 0.6), (600, 1.6), (3600, 20.0)]) > 2
    assert figures.incremental_slopes([(60, 2.0), (10, 1.0)]) == [pytest.approx(0.02)]
    assert math.isnan(figures.linearity([(10, 1.0), (600, 120.0)]))  # one slope says nothing
    assert math.isnan(figures.linearity([]))


def test_json_safe_replaces_nan() -> None:
    cleaned = bench_report.json_safe({"a": math.nan, "b": [1.0, math.inf], "c": {"d": 2}})
    assert cleaned == {"a": None, "b": [1.0, None], "c": {"d": 2}}
    json.dumps(cleaned, allow_nan=False)


# -- report ------------------------------------------------------------------------------------------


def test_markdown_table_aligns_numbers_right() -> None:
    table = bench_report.markdown_table(["name", "value"], [["a", 1.5], ["bb", 1234.5], ["c", None]])
    lines = table.splitlines()
    assert lines[0].startswith("| name") and lines[1].endswith(":|")
    assert "1,234.5" in lines[3] and "–" in lines[4]
    assert len({len(line) for line in lines}) == 1  # padded to equal width


def test_markdown_table_escapes_pipes() -> None:
    assert "a\\|b" in bench_report.markdown_table(["x"], [["a|b"]])


def _report() -> dict[str, object]:
    nifi = Throughput(files=60, audio_s=600.0, wall_s=10.0).to_dict()
    base = Throughput(files=60, audio_s=600.0, wall_s=8.0).to_dict()
    return {
        "started_at": "2026-01-01T00:00:00+00:00",
        "machine": {"cpu_model": "Test CPU", "cores": 2, "ram_gb": 24.0, "load_average": "0.1"},
        "python_processors": ["DecodeAudio"],
        "workers": 1,
        "steps": ["decode"],
        "throughput": {"tones-10s": {"NiFi": nifi, "plain Python": base}},
        "ratio_nifi_to_baseline": 0.8,
        "ratio_nifi_to_execute_stream_command": 12.0,
        "ratio_baseline_to_execute_stream_command": 15.0,
        "latency_clips": "speech-10s",
        "latency": {
            "50%": {
                "rate_files_per_s": 3.0,
                "n": 90,
                "p50_s": 0.3,
                "p95_s": 0.6,
                "p99_s": 0.9,
                "max_s": 1.2,
                "late_sends": 0,
            }
        },
        "fingerprint": "not available (no module)",
    }


def test_render_report_and_targets() -> None:
    text = bench_report.render(_report())
    assert "## Throughput at saturation" in text and "## Latency" in text
    assert "not available" in text
    ceiling = next(line for line in text.splitlines() if "baseline / ExecuteStreamCommand" in line)
    assert "if NiFi cost nothing" in ceiling and "15.0" in ceiling
    verdicts = {v.target: v for v in bench_report.targets(_report())}
    assert verdicts["NiFi ≥ 0.85 × plain-Python baseline (same workers)"].met is False
    assert verdicts["NiFi ≥ 10 × ExecuteStreamCommand"].met is True
    assert verdicts["p99 latency ≤ 1 s at 50 % load (10 s clips)"].met is True
    assert verdicts["1 h file: every Python worker's peak RSS ≤ 1 GB"].met is None
    assert "MISSED" in text and "| met" in text


def test_render_warns_about_throttled_writes() -> None:
    report = _report() | {"nifi_throttled_writes": 3}
    assert "held back content writes 3 times" in bench_report.render(report)


def test_cpu_model() -> None:
    assert machine.cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"


# -- corpus spec --------------------------------------------------------------------------------------


def test_clip_set_key_depends_on_audio_shape_not_count() -> None:
    a = ClipSet("tones-10s", "tones", 10.0, 5)
    assert a.key == ClipSet("tones-10s", "tones", 10.0, 500).key  # more clips: same folder, same clips
    assert a.key != ClipSet("tones-10s", "tones", 11.0, 5).key
    assert a.key.startswith("tones-10s-")
    assert a.clip_name(7) == "tones-10s-00007.flac"
    assert a.reference_name(7) is None


def test_speech_clips_cycle_through_their_references() -> None:
    s = ClipSet("speech-10s", "speech", 10.0, 30, references=12)
    assert s.extension == "wav"
    assert s.reference_name(0) == s.reference_name(12) != s.reference_name(1)
    assert s.reference_name(0).startswith(s.key)  # unique across sets in one references folder


@pytest.mark.parametrize("kwargs", [{"kind": "noise"}, {"seconds": 0}, {"kind": "tones", "references": 2}])
def test_clip_set_rejects_bad_specs(kwargs: dict[str, object]) -> None:
    spec: dict[str, object] = {"name": "x", "kind": "speech", "seconds": 1.0, "count": 1} | kwargs
    with pytest.raises(ValueError):
        ClipSet(**spec)  # type: ignore[arg-type]


def test_corpus_plans() -> None:
    plain, with_refs = bench_corpus.throughput_sets(quick=True)
    assert plain.seconds == with_refs.seconds == 10.0
    assert not plain.references and with_refs.references
    lengths = [s.seconds for _, s in bench_corpus.scaling_sets()]
    assert lengths == [1.0, 10.0, 60.0, 600.0, 3599.0]  # the 1 h clip stays under DecodeAudio's 1 hour limit
    assert [s.seconds for _, s in bench_corpus.scaling_sets([60, 3599])] == [60.0, 3599.0]


def test_generated_tones_are_deterministic_and_in_range() -> None:
    a = bench_corpus.tones(0.5, seed=4)
    assert a.dtype == np.float32 and a.size == 22050
    assert np.array_equal(a, bench_corpus.tones(0.5, seed=4))
    assert 0.5 < float(np.max(np.abs(a))) <= 0.9 + 1e-6


def test_degrade_keeps_length_and_adds_noise() -> None:
    reference = np.sin(np.linspace(0, 200, 16000)).astype(np.float32)
    degraded = bench_corpus.degrade(reference, seed=1)
    assert degraded.shape == reference.shape and not np.array_equal(degraded, reference)
    assert np.max(np.abs(degraded)) <= 1.0


# -- load and memory helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("b1-nifi-x-00001.flac--2f1c.json", "b1-nifi-x-00001.flac"),
        ("clip.wav--local.json", "clip.wav"),
        ("a--b.wav--uuid.failed", "a--b.wav"),
        ("clip.wav--uuid", None),  # a quarantined original, not an outcome
        (".clip.wav--uuid.json", None),  # hidden: still being written
        ("noseparator.json", None),
    ],
)
def test_sent_name(file: str, name: str | None) -> None:
    assert bench_load.sent_name(file) == name


def test_outcome_watcher_groups_and_counts_errors(tmp_path: Path) -> None:
    results, quarantine = tmp_path / "results", tmp_path / "quarantine"
    results.mkdir()
    quarantine.mkdir()
    (results / "p-1.wav--u1.json").write_text(json.dumps({"filename": "p-1.wav"}))
    (results / "p-2.wav--u2.json").write_text(json.dumps({"audio.error": "too_long"}))
    (quarantine / "p-3.wav--u3.json").write_text("{}")
    (quarantine / "p-3.wav--u3").write_text("audio")
    (results / "other-1.wav--u4.json").write_text("{}")
    watcher = bench_load.OutcomeWatcher([results, quarantine], "p-")
    watcher.wait({"p-1.wav", "p-2.wav", "p-3.wav"}, idle_timeout_s=1.0, settle_s=0.0)
    assert sorted(watcher.by_name()) == ["p-1.wav", "p-2.wav", "p-3.wav"]
    assert watcher.errors() == 2
    watcher.remove_files()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["other-1.wav--u4.json", "quarantine", "results"]


def test_late_sends() -> None:
    send = bench_load.Send("x", Path("x"), 1.0)
    sent = [bench_load.Sent(send, scheduled=10.0, started=10.05), bench_load.Sent(send, scheduled=10.0, started=10.5)]
    assert bench_load.late_sends(sent) == 1


@pytest.mark.parametrize(
    ("cmdline", "label"),
    [
        (["/d/nifi/work/python/extensions/DecodeAudio/0.1.0/bin/python", "/b/framework/Controller.py"], "DecodeAudio"),
        (["/repo/.venv/bin/python", "-S", "/b/python/framework/Controller.py"], "Python controller"),
        (
            ["/repo/.venv/bin/python", "/repo/bench/execute_stream_command_worker.py"],
            "ExecuteStreamCommand worker",
        ),
        (
            [
                "/d/nifi/work/python/extensions/ScoreSpeechQuality/0.1.0/bin/python",
                "-c",
                "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=9, pipe_handle=14)",
                "--multiprocessing-fork",
            ],
            "ScoreSpeechQuality worker process",
        ),
        (
            [
                "/d/nifi/work/python/extensions/ScoreSpeechQuality/0.1.0/bin/python",
                "-c",
                "from multiprocessing.resource_tracker import main;main(8)",
            ],
            None,
        ),
        (["/usr/bin/prometheus"], None),
        ([], None),
    ],
)
def test_memory_labels(cmdline: list[str], label: str | None) -> None:
    assert bench_memory.label_of(cmdline) == label


def test_peak_of_python_workers_ignores_jvm_and_controller() -> None:
    peaks = {
        "NiFi JVM": 900.0,
        "Python controller (pid 1)": 500.0,
        "DecodeAudio (pid 2)": 300.0,
        "ScoreSpeechQuality (pid 3)": 120.0,
    }
    assert bench_memory.peak_of_python_workers(peaks) == (300.0, "DecodeAudio (pid 2)")
    assert math.isnan(bench_memory.peak_of_python_workers({"NiFi JVM": 1.0})[0])


def test_parse_properties() -> None:
    assert parse_properties(["nifi.content.repository.archive.enabled=false", "nifi.a.b = 90%"]) == {
        "nifi.content.repository.archive.enabled": "false",
        "nifi.a.b": "90%",
    }
    with pytest.raises(ValueError):
        parse_properties(["archive=false"])
    with pytest.raises(ValueError):
        parse_properties(["nifi.x"])


# -- cli ------------------------------------------------------------------------------------------


def test_measure_counts_from_first_post_to_last_first_outcome(tmp_path: Path) -> None:
    from bench.http_runs import measure

    sends = [bench_load.Send(f"p-{i}.wav", tmp_path / "x", 10.0) for i in range(3)]
    sent = [bench_load.Sent(s, scheduled=100.0, started=100.0 + i, accepted=100.5 + i) for i, s in enumerate(sends)]
    watcher = bench_load.OutcomeWatcher([tmp_path], "p-")
    for name, mtime in (("p-0.wav", 104.0), ("p-1.wav", 110.0), ("p-1.wav", 111.0)):
        path = tmp_path / f"{name}--{mtime}.json"
        path.write_text("{}")
        watcher.outcomes[path] = bench_load.Outcome(name, path, mtime)
    figures = measure(sent, watcher)
    assert (figures.files, figures.audio_s, figures.missing, figures.duplicates) == (2, 20.0, 1, 1)
    assert figures.wall_s == pytest.approx(10.0)  # 100.0 (first POST) to 110.0 (p-1's first outcome)
