"""bench.report: the targets, Markdown tables and the rendered report."""

from __future__ import annotations

import json
import math

from bench.figures import Throughput
from bench.report import json_safe, markdown_table, render, targets


def test_json_safe_replaces_nan() -> None:
    cleaned = json_safe({"a": math.nan, "b": [1.0, math.inf], "c": {"d": 2}})
    assert cleaned == {"a": None, "b": [1.0, None], "c": {"d": 2}}
    json.dumps(cleaned, allow_nan=False)


def test_markdown_table_aligns_numbers_right() -> None:
    table = markdown_table(["name", "value"], [["a", 1.5], ["bb", 1234.5], ["c", None]])
    lines = table.splitlines()
    assert lines[0].startswith("| name") and lines[1].endswith(":|")
    assert "1,234.5" in lines[3] and "–" in lines[4]
    assert len({len(line) for line in lines}) == 1  # padded to equal width


def test_markdown_table_escapes_pipes() -> None:
    assert "a\\|b" in markdown_table(["x"], [["a|b"]])


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
    text = render(_report())
    assert "## Throughput at saturation" in text and "## Latency" in text
    assert "not available" in text
    ceiling = next(line for line in text.splitlines() if "baseline / ExecuteStreamCommand" in line)
    assert "if NiFi cost nothing" in ceiling and "15.0" in ceiling
    verdicts = {v.target: v for v in targets(_report())}
    assert verdicts["NiFi ≥ 0.85 × plain-Python baseline (same workers)"].met is False
    assert verdicts["NiFi ≥ 10 × ExecuteStreamCommand"].met is True
    assert verdicts["p99 latency ≤ 1 s at 50 % load (10 s clips)"].met is True
    assert verdicts["1 h file: every Python worker's peak RSS ≤ 1 GB"].met is None
    assert "MISSED" in text and "| met" in text


def test_render_warns_about_throttled_writes() -> None:
    report = _report() | {"nifi_throttled_writes": 3}
    assert "held back content writes 3 times" in render(report)
