"""bench.http_runs: how a measured run is timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.http_runs import measure
from bench.load import Outcome, OutcomeWatcher, Send, Sent


def test_measure_counts_from_first_post_to_last_first_outcome(tmp_path: Path) -> None:
    sends = [Send(f"p-{i}.wav", tmp_path / "x", 10.0) for i in range(3)]
    sent = [Sent(s, scheduled=100.0, started=100.0 + i, accepted=100.5 + i) for i, s in enumerate(sends)]
    watcher = OutcomeWatcher([tmp_path], "p-")
    for name, mtime in (("p-0.wav", 104.0), ("p-1.wav", 110.0), ("p-1.wav", 111.0)):
        path = tmp_path / f"{name}--{mtime}.json"
        path.write_text("{}")
        watcher.outcomes[path] = Outcome(name, path, mtime)
    figures = measure(sent, watcher)
    assert (figures.files, figures.audio_s, figures.missing, figures.duplicates) == (2, 20.0, 1, 1)
    assert figures.wall_s == pytest.approx(10.0)  # 100.0 (first POST) to 110.0 (p-1's first outcome)
