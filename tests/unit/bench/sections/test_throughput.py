"""bench.sections.throughput: the figures of the combined workload."""

from __future__ import annotations

import pytest

from bench.figures import Throughput
from bench.sections import throughput


def test_figures_combine_both_sets_per_way_and_compare_the_ways() -> None:
    results = {
        "tones-10s": {
            "NiFi": Throughput(files=10, audio_s=100.0, wall_s=1.0),
            "plain Python": Throughput(files=10, audio_s=100.0, wall_s=0.5),
            "ExecuteStreamCommand": Throughput(files=5, audio_s=50.0, wall_s=5.0),
        },
        "speech-10s": {
            "NiFi": Throughput(files=10, audio_s=100.0, wall_s=3.0),
            "plain Python": Throughput(files=10, audio_s=100.0, wall_s=1.5),
            "ExecuteStreamCommand": Throughput(files=5, audio_s=50.0, wall_s=5.0),
        },
    }
    figures = throughput.figures(results)
    assert figures["nifi_audio_s_per_s"] == pytest.approx(50.0)  # 200 audio s in 4 s
    assert figures["baseline_audio_s_per_s"] == pytest.approx(100.0)
    assert figures["execute_stream_command_audio_s_per_s"] == pytest.approx(10.0)
    assert figures["nifi_files_per_s"] == pytest.approx(5.0)
    assert figures["ratio_nifi_to_baseline"] == pytest.approx(0.5)
    assert figures["ratio_nifi_to_execute_stream_command"] == pytest.approx(5.0)
    assert figures["ratio_baseline_to_execute_stream_command"] == pytest.approx(10.0)
