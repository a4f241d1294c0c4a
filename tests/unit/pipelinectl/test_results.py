"""./scripts/results (pipelinectl.results) on SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.database import default_sqlite_path
from audio_pipeline.results_store import ResultsStore
from support.finished_flowfiles import flowfile

from pipelinectl import results as results_cli


def test_parse_since_and_like_pattern() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert results_cli.parse_since("2h", now) == now - timedelta(hours=2)
    assert results_cli.parse_since("90s", now) == now - timedelta(seconds=90)
    assert results_cli.parse_since("1w", now) == now - timedelta(days=7)
    assert results_cli.parse_since("2024-04-30T10:00+00:00") == datetime(2024, 4, 30, 10, tzinfo=UTC)
    assert results_cli.parse_since("2024-04-30").tzinfo is not None
    with pytest.raises(Exception, match="duration"):
        results_cli.parse_since("yesterday")
    assert results_cli.like_pattern("take_1") == "%take\\_1%"
    assert results_cli.like_pattern("*.wav") == "%.wav"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RESULTS_DATABASE_URL", raising=False)
    return tmp_path


def test_cli_without_database_creates_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert results_cli.main([]) == 0
    assert "no results yet" in capsys.readouterr().err
    assert not default_sqlite_path(data_dir).exists()


def test_cli_lists_and_filters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ResultsStore.open("", data_dir)
    store.record(
        flowfile(
            "good_take.wav",
            **{
                attr.PESQ_MOS: "4.1",
                attr.QUALITY_LABEL: "good",
                attr.FINGERPRINT_MATCH: "track-7",
                attr.FINGERPRINT_OFFSET_SECONDS: "12.3",
            },
        ),
        "ok",
    )
    store.record(flowfile("broken.mp3", **{attr.SOURCE: "http"}), "quarantined", "corrupt_audio: truncated frame")
    store.close()

    assert results_cli.main(["-n", "5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["time", "status", "source", "file"]
    assert "broken.mp3" in table[2] and "corrupt_audio" in table[2]
    assert "good_take.wav" in table[3] and "4.10 good" in table[3] and "track-7 @12.3s" in table[3]

    assert results_cli.main(["--status", "quarantined", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["filename"] for line in lines] == ["broken.mp3"]

    assert results_cli.main(["--name", "take", "--source", "folder", "--since", "1h", "--json"]) == 0
    assert [json.loads(line)["filename"] for line in capsys.readouterr().out.splitlines()] == ["good_take.wav"]

    assert results_cli.main(["--name", "nothing-like-this"]) == 0
    assert "no matching results" in capsys.readouterr().err


def test_table_fits_narrow_terminals(data_dir: Path) -> None:
    store = ResultsStore.open("", data_dir)
    store.record(flowfile("a-very-long-file-name-" + "x" * 80 + ".wav"), "quarantined", "e" * 200)
    rows = store.recent()
    store.close()
    table = results_cli.render_table(rows, 100)
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "…" in table
