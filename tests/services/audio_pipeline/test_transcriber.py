"""The transcriber with the real packaged Whisper model (assembled by setup): words on speech, none on
non-speech, continuous timestamps across pieces, and the worker pool that loads the model once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline.analysis_wav import to_wav_bytes
from audio_pipeline.transcription.pool import TranscriptionPool
from audio_pipeline.transcription.transcriber import RATE, Transcriber, TranscriptionSettings

from pipelinectl.settings import load

pytestmark = pytest.mark.services
MODEL_DIR = load().transcription_models_dir / "whisper-base"
SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    if not MODEL_DIR.is_dir():
        pytest.skip("the model is assembled by setup (./scripts/test runs it)")
    return Transcriber.load(MODEL_DIR)


def _espeak(text: str, tmp_path: Path, voice: str = "en-us") -> np.ndarray:
    if not shutil.which("espeak-ng"):
        pytest.skip("needs Debian package espeak-ng")
    raw = tmp_path / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    samples, rate = sf.read(raw, dtype="float32")
    import soxr

    return soxr.resample(samples, rate, RATE).astype(np.float32)


def _words(text: str) -> list[str]:
    return [w.strip(".,!?").lower() for w in text.split()]


def test_speech_gets_its_words_language_and_segments(transcriber: Transcriber, tmp_path: Path) -> None:
    found = transcriber.transcribe(_espeak(SENTENCE, tmp_path))
    assert found.language == "en" and found.language_probability > 0.5
    assert {"quick", "brown", "fox", "lazy", "dog"} <= set(_words(found.text))
    assert found.segments and all(0 <= s.start < s.end <= found.audio_seconds + 0.5 for s in found.segments)
    assert (found.model, found.model_version) == ("whisper-base", "1.0.0")


def test_another_language_is_identified_and_transcribed_in_it(transcriber: Transcriber, tmp_path: Path) -> None:
    text = "Bonjour, nous analysons le son en temps réel. Le chat dort sur le canapé du salon."
    found = transcriber.transcribe(_espeak(text, tmp_path, "fr"))
    assert found.language == "fr"
    assert {"bonjour", "nous", "salon"} <= set(_words(found.text))


def test_silence_noise_and_music_get_no_words(transcriber: Transcriber) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(RATE * 8) / RATE
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) for f in (220.0, 277.2, 329.6))
    for audio in (np.zeros(RATE * 5), rng.standard_normal(RATE * 5) * 0.1, chord, np.full(RATE * 3, 1e-5)):
        found = transcriber.transcribe(audio.astype(np.float32))
        assert (found.text, found.segments, found.words) == ("", (), 0)


def test_pieces_keep_timestamps_on_the_files_clock(tmp_path: Path) -> None:
    if not MODEL_DIR.is_dir():
        pytest.skip("the model is assembled by setup")
    speech = _espeak(SENTENCE, tmp_path)
    gap = np.zeros(RATE * 4, dtype=np.float32)
    audio = np.concatenate([speech, gap, speech, gap, speech])
    small = Transcriber.load(MODEL_DIR, TranscriptionSettings(max_piece_seconds=len(speech) / RATE + 1.5))
    found = small.transcribe(audio)
    assert found.pieces == 3
    starts = [s.start for s in found.segments]
    assert starts == sorted(starts)
    period = (len(speech) + len(gap)) / RATE
    for k in range(3):  # every repetition is transcribed where it is in the file
        assert any(abs(s.start - k * period) < 1.0 and "fox" in s.text for s in found.segments), found.segments


def test_16_bit_pcm_is_transcribed_as_its_float_form(transcriber: Transcriber, tmp_path: Path) -> None:
    speech = _espeak(SENTENCE, tmp_path)
    pcm = np.clip(np.rint(speech * 32768), -32768, 32767).astype(np.int16)
    assert transcriber.transcribe(pcm).text == transcriber.transcribe(pcm.astype(np.float32) / 32768).text


def test_speech_across_a_detection_block_edge_is_transcribed_whole(
    transcriber: Transcriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audio_pipeline.transcription import transcriber as module

    speech = _espeak(SENTENCE, tmp_path)
    whole = transcriber.transcribe(speech)
    monkeypatch.setattr(module, "VAD_BLOCK_SECONDS", len(speech) / RATE / 2)  # the edge mid-sentence
    assert len(transcriber.speech_regions(speech)) == 1
    assert transcriber.transcribe(speech).text == whole.text


def test_the_pool_transcribes_in_a_worker_process(tmp_path: Path) -> None:
    if not MODEL_DIR.is_dir():
        pytest.skip("the model is assembled by setup")
    pool = TranscriptionPool(MODEL_DIR, TranscriptionSettings(), workers=1)
    try:
        found = pool.transcribe(to_wav_bytes(_espeak(SENTENCE, tmp_path), RATE))
        assert "fox" in _words(found.text)
    finally:
        pool.close()
