"""bench.memory: which process a command line is, and the peak of the Python workers."""

from __future__ import annotations

import math

import pytest

from bench import memory


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
    assert memory.label_of(cmdline) == label


def test_peak_of_python_workers_ignores_jvm_and_controller() -> None:
    peaks = {
        "NiFi JVM": 900.0,
        "Python controller (pid 1)": 500.0,
        "DecodeAudio (pid 2)": 300.0,
        "ScoreSpeechQuality (pid 3)": 120.0,
    }
    assert memory.peak_of_python_workers(peaks) == (300.0, "DecodeAudio (pid 2)")
    assert math.isnan(memory.peak_of_python_workers({"NiFi JVM": 1.0})[0])
