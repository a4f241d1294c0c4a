"""Container structure checks: truncation, absurd headers, and the WAV and MP3 layouts that are fine."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline.decoding import decode
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import TONE_S, decode_error_code, wav_header


def test_mp3_without_id3_tag_and_wav_written_to_a_pipe(audio: AudioFactory, tone: Path) -> None:
    raw_mp3 = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(tone),
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-id3v2_version",
            "0",
            "-write_xing",
            "0",
            "-f",
            "mp3",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert raw_mp3[:2] == b"\xff\xfb"
    assert decode(raw_mp3).duration_s == pytest.approx(TONE_S, rel=0.01)

    piped_wav = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tone), "-f", "wav", "pipe:1"], capture_output=True, check=True
    ).stdout
    assert piped_wav[4:8] == b"\xff\xff\xff\xff"  # sizes never filled in
    assert decode(piped_wav).duration_s == pytest.approx(TONE_S, rel=1e-4)


def test_hand_built_wav_header_is_valid_when_sane() -> None:
    decoded = decode(wav_header(8000, 1, frames=8000))
    assert decoded.duration_s == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("rate", "channels"),
    [(0, 1), (10_000_000, 1), (384_001, 2), (44100, 0), (44100, 1000), (44100, 65)],
    ids=["0Hz", "10MHz", "384001Hz", "0ch", "1000ch", "65ch"],
)
def test_absurd_wav_headers_are_invalid_header(rate: int, channels: int) -> None:
    assert decode_error_code(wav_header(rate, channels)) == "invalid_header"


def test_zero_bits_per_sample_is_invalid_header() -> None:
    assert decode_error_code(wav_header(8000, 1, bits=0)) == "invalid_header"


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "ogg", "opus", "aiff"])
@pytest.mark.parametrize("fraction", [0.5, 0.93])
def test_truncated_files_are_corrupt(audio: AudioFactory, tone: Path, ext: str, fraction: float) -> None:
    data = audio.transcode(tone, ext).read_bytes()
    assert decode_error_code(data[: int(len(data) * fraction)]) == "corrupt_audio"


def test_forged_container_signature_with_garbage_is_corrupt() -> None:
    garbage = np.random.default_rng(11).bytes(20_000)
    assert decode_error_code(b"fLaC" + garbage) == "corrupt_audio"
    assert decode_error_code(b"RIFF\x00\x10\x00\x00WAVE" + garbage) == "corrupt_audio"
