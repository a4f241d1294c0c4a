"""./scripts/results (pipelinectl.results) on SQLite."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline.database import default_sqlite_path
from audio_pipeline.results_store import ResultsStore
from support.finished_flowfiles import flowfile

from pipelinectl import results as results_cli

LOUDNESS = {
    attr.LOUDNESS_INTEGRATED_LUFS: "-23.0",
    attr.LOUDNESS_RANGE_LU: "4.5",
    attr.LOUDNESS_MOMENTARY_MAX_LUFS: "-14.0",
    attr.LOUDNESS_SHORT_TERM_MAX_LUFS: "-17.5",
    attr.LOUDNESS_TRUE_PEAK_DBTP: "-0.5",
    attr.LOUDNESS_PROFILE: "ebu-r128",
    attr.LOUDNESS_COMPLIANT: "true",
    attr.LOUDNESS_GAIN_DB: "0.0",
}


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
                **LOUDNESS,
            },
        ),
        "ok",
    )
    store.record(flowfile("broken.mp3", **{attr.SOURCE: "http"}), "quarantined", "corrupt_audio: truncated frame")
    store.close()

    assert results_cli.main(["-n", "5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["time", "status", "source", "file"]
    assert table[0].split()[7:10] == ["LUFS", "dBTP", "loudness"]
    assert "broken.mp3" in table[2] and "corrupt_audio" in table[2]
    assert "good_take.wav" in table[3] and "4.10 good" in table[3] and "track-7 @12.3s" in table[3]
    assert "  -23.0  -0.5  yes ebu-r128  " in table[3]

    assert results_cli.main(["--non-compliant", "--json"]) == 0
    assert capsys.readouterr().out == ""  # the quarantined file has no verdict, the other one passed
    assert results_cli.main(["--compliant", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    row = json.loads(line)
    assert row["filename"] == "good_take.wav"
    assert (row["loudness_integrated_lufs"], row["loudness_true_peak_dbtp"]) == (-23.0, -0.5)
    assert (row["loudness_profile"], row["loudness_compliant"], row["loudness_gain_db"]) == ("ebu-r128", True, 0.0)
    assert (row["loudness_range_lu"], row["loudness_momentary_max_lufs"], row["loudness_short_term_max_lufs"]) == (
        4.5,
        -14.0,
        -17.5,
    )
    with pytest.raises(SystemExit):
        results_cli.main(["--compliant", "--non-compliant"])
    capsys.readouterr()

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


def test_loudness_columns_give_way_in_narrow_terminals(data_dir: Path) -> None:
    store = ResultsStore.open("", data_dir)
    loud = {**LOUDNESS, attr.LOUDNESS_COMPLIANT: "false", attr.LOUDNESS_GAIN_DB: "-9.04"}
    store.record(flowfile("loud.wav", **{**loud, attr.FINGERPRINT_MATCH: "track-1"}), "ok")
    rows = store.recent()
    store.close()
    wide = results_cli.render_table(rows, 200).splitlines()
    assert "no ebu-r128 -9.0 dB" in wide[2] and "track-1" in wide[2]
    assert wide[0].split()[7:] == ["LUFS", "dBTP", "loudness", "match", "duplicate", "of", "error"]
    for width, shown in (
        (120, ["LUFS", "dBTP", "loudness", "match", "duplicat", "error"]),  # shrinking suffices
        (110, ["LUFS", "loudness", "match", "duplicat", "error"]),  # the loudness columns go first
        (100, ["loudness", "match", "duplicat", "error"]),
        (80, ["match", "error"]),
    ):
        table = results_cli.render_table(rows, width).splitlines()
        assert max(len(line) for line in table) <= width
        assert [h[:7] for h in table[0].split()[7:] if h != "of"] == [h[:7] for h in shown], width


def _transcribed(name: str, text: str, language: str, **extra: str) -> dict[str, str]:
    words = {attr.TRANSCRIPT_WORDS: str(len(text.split())), attr.TRANSCRIPT_SEGMENTS: "[]"}
    return flowfile(name, **{attr.TRANSCRIPT: text, attr.TRANSCRIPT_LANGUAGE: language, **words, **extra})


def test_cli_searches_transcripts_and_shows_language_and_transcript(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultsStore.open("", data_dir)
    long_text = "Welcome to the quarterly budget meeting, " + "and the numbers keep going " * 10
    store.record(_transcribed("meeting.wav", long_text, "en"), "ok")
    store.record(_transcribed("sitzung.wav", "Willkommen zum Budget Meeting", "de", **{attr.SOURCE: "http"}), "ok")
    store.record(_transcribed("hum.wav", "", "en"), "ok")
    store.record(flowfile("tone.wav"), "ok")
    store.close()

    assert results_cli.main(["--text", "budget MEETING", "--json"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["filename"] for row in found] == ["sitzung.wav", "meeting.wav"]
    assert found[1]["transcript"] == long_text.strip() and found[1]["transcript_language"] == "en"
    assert results_cli.main(["--text", "meeting", "--source", "http", "--name", "*.wav", "--json"]) == 0
    assert [json.loads(line)["filename"] for line in capsys.readouterr().out.splitlines()] == ["sitzung.wav"]
    assert results_cli.main(["--text", "budget", "--status", "quarantined"]) == 0
    assert "no matching results" in capsys.readouterr().err

    monkeypatch.setenv("COLUMNS", "250")  # the terminal's width: wide enough for the whole table
    assert results_cli.main([]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[-3:] == ["lang", "transcript", "error"]
    by_name = {name: line for line in table[2:] for name in ("meeting", "sitzung", "hum", "tone") if name in line}
    assert re.search(r"  de +Willkommen zum Budget Meeting$", by_name["sitzung"])
    shortened = long_text[: results_cli.TRANSCRIPT_CHARS - 1] + "…"
    assert by_name["meeting"].endswith(f"  en    {shortened}")
    assert re.search(r"  en +\(no words\)$", by_name["hum"]) and not re.search(r"  en  ", by_name["tone"])


def test_transcript_columns_only_when_a_file_has_one_and_they_give_way_first(data_dir: Path) -> None:
    store = ResultsStore.open("", data_dir)
    store.record(flowfile("loud.wav", **{**LOUDNESS, attr.FINGERPRINT_MATCH: "track-1"}), "ok")
    without = store.recent()
    store.record(_transcribed("talk.wav", "hello there " * 20, "en", **LOUDNESS), "ok")
    rows = store.recent()
    store.close()
    assert "lang" not in results_cli.render_table(without, 200).splitlines()[0].split()
    assert results_cli.render_table(rows, 200).splitlines()[0].split()[-3:] == ["lang", "transcript", "error"]
    for width, shown in ((130, {"lang", "transcri…"}), (120, {"lang"}), (115, set())):  # shrunk, then left out
        table = results_cli.render_table(rows, width).splitlines()
        assert max(len(line) for line in table) <= width
        headers = set(table[0].split())
        assert {"LUFS", "dBTP", "loudness"} <= headers and headers & {"lang", "transcri…"} == shown, width
