"""The ffmpeg back end: truncated MP4, timeouts and a missing ffmpeg have their own codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline.decoding import decode
from audio_pipeline.errors import AudioPipelineError
from support.audio_fixtures import AudioFactory
from support.decoder_inputs import TONE_S, decode_error_code


def test_truncated_m4a_is_corrupt(audio: AudioFactory, tone: Path, tmp_path: Path) -> None:
    data = audio.transcode(tone, "m4a").read_bytes()  # moov at the end: the cut loses it
    assert decode_error_code(data[: len(data) // 2]) == "corrupt_audio"
    faststart = tmp_path / "faststart.m4a"  # moov first: the cut loses sample data instead
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(tone),
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-movflags",
            "+faststart",
            str(faststart),
        ],
        check=True,
    )
    data = faststart.read_bytes()
    assert decode(data).duration_s == pytest.approx(TONE_S, rel=0.01)
    with pytest.raises(AudioPipelineError) as info:
        decode(data[: int(len(data) * 0.9)])
    assert info.value.code == "corrupt_audio"
    assert "/tmp" not in str(info.value)  # no temporary paths in user-facing details


def test_ffmpeg_timeout_has_its_own_code(audio: AudioFactory, tone: Path) -> None:
    data = audio.transcode(tone, "m4a").read_bytes()
    assert decode_error_code(data, timeout_s=0.001) == "decode_timeout"


def test_missing_ffmpeg_is_reported(audio: AudioFactory, tone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_pipeline.decoding import ffmpeg_backend

    data = audio.transcode(tone, "m4a").read_bytes()
    monkeypatch.setattr(ffmpeg_backend.shutil, "which", lambda _name: None)
    assert decode_error_code(data) == "decoder_unavailable"
    assert decode(tone.read_bytes()).format == "wav"  # the soundfile formats do not need it


def test_forged_mp4_signature_with_garbage_is_corrupt() -> None:
    garbage = np.random.default_rng(11).bytes(20_000)
    assert decode_error_code(b"\x00\x00\x00\x20ftypM4A " + garbage) == "corrupt_audio"


def test_a_stream_short_of_its_index_is_truncated_whatever_ffmpeg_says() -> None:
    from audio_pipeline.decoding import ffmpeg_backend

    probe = {"streams": [{"codec_type": "video", "duration": "12.0"}, {"codec_type": "audio", "duration": "10.0"}]}
    indexed = ffmpeg_backend._indexed_duration(probe, "m4a")
    assert indexed == 10.0  # the audio stream's, not the video's
    ffmpeg_backend._check_complete(9.95, indexed, "m4a")  # priming and padding are not a cut
    with pytest.raises(AudioPipelineError) as info:
        ffmpeg_backend._check_complete(9.0, indexed, "m4a")
    assert info.value.code == "corrupt_audio" and "10.00 s" in str(info.value)
    assert ffmpeg_backend._indexed_duration(probe, "webm") is None  # no sample index to compare with
    assert ffmpeg_backend._indexed_duration({"streams": [{"codec_type": "audio", "duration": "N/A"}]}, "mp4") is None
