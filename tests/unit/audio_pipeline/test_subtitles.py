"""WebVTT and SRT from transcript segments, and the pair of files written beside the JSON result."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from audio_pipeline.transcription import subtitles
from audio_pipeline.transcription.segments import Segment


def _segments(*cues: tuple[float, float, str]) -> list[Segment]:
    return [Segment(start, end, text, 0.05) for start, end, text in cues]


def _json(*cues: tuple[float, float, str]) -> str:
    return json.dumps([{"start": a, "end": b, "text": t, "no_speech_prob": 0.1} for a, b, t in cues])


def test_timestamps() -> None:
    assert subtitles.timestamp(0) == "00:00:00.000"
    assert subtitles.timestamp(3.0005) == "00:00:03.000"  # to the millisecond, as rounding goes
    assert subtitles.timestamp(61.25) == "00:01:01.250"
    assert subtitles.timestamp(3723.4567, ",") == "01:02:03,457"
    assert subtitles.timestamp(-0.2) == "00:00:00.000"
    assert subtitles.timestamp(100 * 3600 + 1) == "100:00:01.000"  # hours grow, never wrap


def test_webvtt_has_the_header_and_blank_line_separated_escaped_cues() -> None:
    text = subtitles.to_webvtt(_segments((0.0, 2.5, " Hello & <b>welcome</b> "), (2.5, 61.25, "A -> B")))
    assert text == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\n"
        "Hello &amp; &lt;b&gt;welcome&lt;/b&gt;\n"
        "\n"
        "00:00:02.500 --> 00:01:01.250\n"
        "A -&gt; B\n"
    )


def test_srt_numbers_its_cues_with_comma_milliseconds() -> None:
    text = subtitles.to_srt(_segments((0.0, 2.5, "Hello & welcome"), (3723.0, 3724.125, "again")))
    assert text == ("1\n00:00:00,000 --> 00:00:02,500\nHello & welcome\n\n2\n01:02:03,000 --> 01:02:04,125\nagain\n")


def test_no_segments_make_valid_files_without_cues() -> None:
    assert subtitles.to_webvtt([]) == "WEBVTT\n"
    assert subtitles.to_srt([]) == ""


def test_cues_stay_one_line_in_order_and_last_at_least_a_millisecond() -> None:
    segments = _segments((5.0, 6.0, "later"), (1.0, 1.0, "first\n\nline  two"), (2.0, 3.0, "  "))
    srt = subtitles.to_srt(segments)
    assert srt == (
        "1\n00:00:01,000 --> 00:00:01,001\nfirst line two\n\n2\n00:00:05,000 --> 00:00:06,000\nlater\n"
    )  # the blank line inside a text would have ended its cue; the empty cue is left out
    assert subtitles.to_webvtt(_segments((float("nan"), 1.0, "x"))) == "WEBVTT\n"


def test_written_beside_the_result_and_rewritten_on_redelivery(tmp_path: Path) -> None:
    results = tmp_path / "results"
    stem = "clip.wav--7d3c"
    vtt, srt = subtitles.write_beside_result(results, stem, _json((0.0, 1.5, "Hi <there>")))
    assert (vtt.name, srt.name) == (f"{stem}.vtt", f"{stem}.srt")
    assert vtt.read_text() == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHi &lt;there&gt;\n"
    assert srt.read_text() == "1\n00:00:00,000 --> 00:00:01,500\nHi <there>\n"
    before = os.stat(vtt).st_ino
    subtitles.write_beside_result(results, stem, _json((0.0, 2.0, "Hi again")))  # a retry or a replay
    assert sorted(p.name for p in results.iterdir()) == [f"{stem}.srt", f"{stem}.vtt"]  # no temporary left
    assert "Hi again" in vtt.read_text() and os.stat(vtt).st_ino != before  # renamed over, not appended
    subtitles.write_beside_result(results, stem, "[]")
    assert (vtt.read_text(), srt.read_text()) == ("WEBVTT\n", "")


@pytest.mark.parametrize("stem", ["", ".hidden", "../up", "a/b", "a\\b"])
def test_only_a_plain_file_name_is_written(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError, match="file name"):
        subtitles.write_beside_result(tmp_path, stem, "[]")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["not json", '{"start": 1}', '[{"start": 1}]', '["text"]'])
def test_malformed_segments_are_a_value_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError):
        subtitles.write_beside_result(tmp_path, "clip", value)
    assert list(tmp_path.iterdir()) == []
