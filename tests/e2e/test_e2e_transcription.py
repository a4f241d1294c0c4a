"""TranscribeSpeech in the running flow: speech gets its words, language and segments; music, tones and
silence get none; a 10-minute speech file is transcribed in pieces on one clock, within 1 GB."""

from __future__ import annotations

import json
import subprocess

import psutil
import pytest
from audio_pipeline.results_store import ResultsStore
from support.pipeline_instance import Pipeline

from bench import memory as bench_memory

pytestmark = pytest.mark.e2e

SENTENCES = (
    "Please call Stella. Ask her to bring six spoons of fresh snow peas from the store.",
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "The box was thrown beside the parked truck.",
)


def _words(text: str) -> set[str]:
    return {w.strip(".,!?;:").lower() for w in text.split()}


def _store(pipeline: Pipeline) -> ResultsStore:
    url = pipeline.settings.results_database_url or f"sqlite:///{pipeline.settings.state_dir / 'pipeline.db'}"
    return ResultsStore.open(url)


def _subtitles(pipeline: Pipeline, attrs: dict[str, str]) -> list:
    stem = attrs["audio.output.name"]
    return [p for p in (pipeline.settings.results_dir / f"{stem}{ext}" for ext in (".vtt", ".srt")) if p.exists()]


def _transcription_workers(pipeline: Pipeline) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if (
            cmdline
            and cmdline[0].startswith(str(pipeline.settings.data_dir))
            and bench_memory.label_of(cmdline) == "TranscribeSpeech worker process"
        ):
            found.append(process)
    return found


def test_speech_gets_a_transcript_language_and_segments(pipeline: Pipeline, audio) -> None:
    assert pipeline.post(audio.speech(rate=16000).read_bytes(), "words.wav").status_code == 200
    kind, attrs = pipeline.wait_for("words.wav")

    assert kind == "result" and attrs["audio.class"] == "speech"
    heard = _words(attrs["audio.transcript"])
    # espeak-ng's voice is hard on names ("Stella"): most, not all, of the words must be there
    assert len(_words(SENTENCES[0]) & heard) >= 12, attrs["audio.transcript"]
    assert attrs["audio.transcript.language"] == "en"
    assert float(attrs["audio.transcript.language.probability"]) > 0.5
    segments = json.loads(attrs["audio.transcript.segments"])
    assert segments and all(s["start"] < s["end"] and s["text"] and 0 <= s["no_speech_prob"] < 0.6 for s in segments)
    assert int(attrs["audio.transcript.words"]) == len(attrs["audio.transcript"].split())
    assert (attrs["audio.transcript.model"], attrs["audio.transcript.model.version"]) == ("whisper-base", "1.0.0")

    vtt, srt = _subtitles(pipeline, attrs)  # beside the JSON result, one cue per segment
    assert vtt.read_text().startswith("WEBVTT") and "spoons" in vtt.read_text()
    assert srt.read_text().startswith("1\n00:00:0") and srt.read_text().count(" --> ") == len(segments)
    store = _store(pipeline)
    try:
        found = store.recent(text="SPOONS store", limit=10)  # the database's full-text search
        assert [r.filename for r in found if r.filename == "words.wav"] == ["words.wav"]
        assert not [r for r in store.recent(text="spoons zanzibar", limit=10) if r.filename == "words.wav"]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("chord.wav", lambda audio: audio.tone(duration=4.0)),
        ("hiss.wav", lambda audio: audio.noise(duration=4.0)),
        ("silence.wav", lambda audio: audio.tone(duration=4.0, amplitude=0.0)),
    ],
)
def test_what_is_not_speech_gets_no_words(pipeline: Pipeline, audio, name: str, make) -> None:
    assert pipeline.post(make(audio).read_bytes(), name).status_code == 200
    kind, attrs = pipeline.wait_for(name)
    assert kind == "result" and attrs["audio.class"] != "speech"
    assert not [key for key in attrs if key.startswith("audio.transcript")]
    assert _subtitles(pipeline, attrs) == []


def test_a_ten_minute_speech_file_is_transcribed_in_pieces_within_memory(pipeline: Pipeline, audio, tmp_path) -> None:
    utterances = [audio.speech(text=text, rate=16000, pad_s=0.6) for text in SENTENCES]
    once = tmp_path / "round.wav"
    subprocess.run(["sox", *map(str, utterances), str(once)], check=True)
    long = tmp_path / "ten-minutes.wav"
    rounds = 33  # ≈ 19 s per round
    subprocess.run(["sox", *[str(once)] * rounds, str(long)], check=True)
    duration = float(subprocess.run(["soxi", "-D", str(long)], capture_output=True, text=True, check=True).stdout)
    assert duration >= 600

    assert pipeline.post(long.read_bytes(), "ten-minutes.wav").status_code == 200
    kind, attrs = pipeline.wait_for("ten-minutes.wav", timeout=900)

    assert kind == "result" and attrs["audio.class"] == "speech"
    segments = json.loads(attrs["audio.transcript.segments"])
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert segments[-1]["end"] > duration - 30  # the last pieces are on the file's clock, not restarted at 0
    per_minute = [0] * (int(duration // 60) + 1)
    for s in segments:
        if {"spoons", "store", "sheet", "background", "truck"} & _words(s["text"]):
            per_minute[int(s["start"] // 60)] += 1
    assert all(count >= 2 for count in per_minute[:10]), per_minute  # every minute is transcribed, in place
    workers = _transcription_workers(pipeline)
    assert workers
    peaks = [bench_memory.kernel_peak_mb(w.pid) for w in workers]
    print(f"TranscribeSpeech worker peak RSS after a {duration:.0f} s file: {', '.join(f'{p:.0f} MB' for p in peaks)}")
    assert max(peaks) < 1024
