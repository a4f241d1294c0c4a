"""bench.load: HTTP load helpers and the outcome watcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import load


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
    assert load.sent_name(file) == name


def test_outcome_watcher_groups_and_counts_errors(tmp_path: Path) -> None:
    results, quarantine = tmp_path / "results", tmp_path / "quarantine"
    results.mkdir()
    quarantine.mkdir()
    (results / "p-1.wav--u1.json").write_text(json.dumps({"filename": "p-1.wav"}))
    (results / "p-2.wav--u2.json").write_text(json.dumps({"audio.error": "too_long"}))
    (quarantine / "p-3.wav--u3.json").write_text("{}")
    (quarantine / "p-3.wav--u3").write_text("audio")
    (results / "other-1.wav--u4.json").write_text("{}")
    watcher = load.OutcomeWatcher([results, quarantine], "p-")
    watcher.wait({"p-1.wav", "p-2.wav", "p-3.wav"}, idle_timeout_s=1.0, settle_s=0.0)
    assert sorted(watcher.by_name()) == ["p-1.wav", "p-2.wav", "p-3.wav"]
    assert watcher.errors() == 2
    watcher.remove_files()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["other-1.wav--u4.json", "quarantine", "results"]


def test_late_sends() -> None:
    send = load.Send("x", Path("x"), 1.0)
    sent = [load.Sent(send, scheduled=10.0, started=10.05), load.Sent(send, scheduled=10.0, started=10.5)]
    assert load.late_sends(sent) == 1
