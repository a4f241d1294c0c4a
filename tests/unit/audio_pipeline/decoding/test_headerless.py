"""Headerless telephony files (.gsm, .ulaw/.mu, .alaw, .sln): named by the extension only when no signature is found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline.decoding import decode
from audio_pipeline.errors import AudioPipelineError
from support.audio_fixtures import AudioFactory

# extension -> (ffmpeg muxer that writes it, DecodedAudio.format, codec, bytes per frame, samples per frame)
TELEPHONY = {
    "gsm": ("gsm", "gsm", "gsm", 33, 160),
    "ulaw": ("mulaw", "mulaw", "pcm_mulaw", 1, 1),
    "mu": ("mulaw", "mulaw", "pcm_mulaw", 1, 1),
    "alaw": ("alaw", "alaw", "pcm_alaw", 1, 1),
    "sln": ("s16le", "sln", "pcm_s16le", 2, 1),
}
TONE_HZ = 440.0


def _raw(src: Path, muxer: str) -> bytes:
    """`src` converted by ffmpeg to 8 kHz mono headerless `muxer` output."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(src), "-ar", "8000", "-ac", "1", "-f", muxer, "pipe:1"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def _code(data: bytes, **kwargs: object) -> AudioPipelineError:
    with pytest.raises(AudioPipelineError) as info:
        decode(data, **kwargs)  # type: ignore[arg-type]
    assert str(info.value)
    return info.value


@pytest.fixture(scope="module")
def tone8k(audio: AudioFactory) -> Path:
    return audio.tone(freq=TONE_HZ, duration=3.0, rate=8000, channels=1, amplitude=0.5)


@pytest.mark.parametrize("ext", sorted(TELEPHONY))
def test_tone_decodes_with_true_duration_and_frequency(tone8k: Path, ext: str) -> None:
    muxer, label, codec, frame_bytes, frame_samples = TELEPHONY[ext]
    data = _raw(tone8k, muxer)
    frames = len(data) // frame_bytes * frame_samples

    decoded = decode(data, filename=f"voicemail/msg0001.{ext}", target_rate=None)

    assert (decoded.format, decoded.codec, decoded.decoder) == (label, codec, "ffmpeg")
    assert decoded.original_sample_rate == decoded.sample_rate == 8000
    assert decoded.original_channels == 1
    assert decoded.original_frames == decoded.samples.size == frames
    assert decoded.duration_s == pytest.approx(3.0, abs=0.02)  # GSM rounds up to whole 20 ms frames
    assert _dominant_hz(decoded.samples, 8000) == pytest.approx(TONE_HZ, abs=2.0)
    rms = float(np.sqrt(np.mean(decoded.samples[800:-800] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.1)
    attrs = decoded.to_attributes()
    assert attrs[attr.FORMAT] == label and attrs[attr.DECODER] == "ffmpeg" and attrs[attr.DECODER_FALLBACK] == ""


@pytest.mark.parametrize(("ext", "min_corr"), [("gsm", 0.9), ("ulaw", 0.999), ("alaw", 0.999), ("sln", 0.99999)])
def test_speech_matches_the_source(audio: AudioFactory, ext: str, min_corr: float) -> None:
    src = audio.speech("en-us", rate=8000)
    reference, _ = sf.read(str(src), dtype="float32")
    decoded = decode(_raw(src, TELEPHONY[ext][0]), filename=f"CALL.{ext.upper()}", target_rate=None)
    assert decoded.duration_s == pytest.approx(reference.size / 8000, abs=0.021)
    n = min(reference.size, decoded.samples.size)
    assert np.corrcoef(reference[:n], decoded.samples[:n])[0, 1] > min_corr


def test_resampled_to_the_target_rate(tone8k: Path) -> None:
    decoded = decode(_raw(tone8k, "mulaw"), filename="x.ulaw")
    assert decoded.sample_rate == 16000 and decoded.original_sample_rate == 8000
    assert decoded.samples.size == pytest.approx(3.0 * 16000, rel=0.01)
    assert _dominant_hz(decoded.samples, 16000) == pytest.approx(TONE_HZ, abs=2.0)


def test_extension_is_needed(tone8k: Path) -> None:
    data = _raw(tone8k, "mulaw")
    assert _code(data).code == "not_audio"
    assert _code(data, filename="x.wav").code == "not_audio"
    assert _code(data, filename="ulaw").code == "not_audio"  # a bare name is not an extension
    assert _code(data, filename="x.ulaw.part").code == "not_audio"


def test_a_signature_wins_over_the_extension(tone8k: Path) -> None:
    decoded = decode(tone8k.read_bytes(), filename="x.ulaw")
    assert (decoded.format, decoded.decoder) == ("wav", "libsndfile")


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 3282, "ELF"),
        (b"This is a plain text file, not a recording.\n" * 75, "text"),
        (b"PK\x03\x04" + bytes(range(256)) * 13, "ZIP"),
        (b"RIFF\x00\x10\x00\x00AVI LIST" + b"\x00" * 3288, "RIFF"),
    ],
    ids=["elf", "text", "zip", "riff-avi"],
)
@pytest.mark.parametrize("ext", ["gsm", "ulaw", "alaw", "sln"])
def test_recognised_non_audio_stays_not_audio(content: bytes, what: str, ext: str) -> None:
    content = content[: len(content) // 66 * 66]  # whole frames for every format: only the content refuses it
    error = _code(content, filename=f"x.{ext}")
    assert error.code == "not_audio" and what in str(error)


def test_fake_mpeg_frames_are_not_audio_whatever_the_name() -> None:
    forged = b"\xff\xfb\x90\x64" + np.random.default_rng(7).bytes(33 * 1000 - 4)
    for name in (None, "x.mp3", "x.gsm"):
        assert _code(forged, filename=name).code == "not_audio"


def test_real_executable_named_gsm_is_not_audio() -> None:
    exe = Path(sys.executable).resolve().read_bytes()[: 33 * 4000]
    assert _code(exe, filename="x.gsm").code == "not_audio"
    assert _code(exe, filename="x.sln").code == "not_audio"


def test_gsm_frames_without_the_signature_are_not_audio() -> None:
    rng = np.random.default_rng(3)
    frames = bytearray(rng.bytes(33 * 50))
    for pos in range(0, len(frames), 33):
        frames[pos] = 0xD0 | (frames[pos] & 0x0F)
    frames[33 * 20] = 0x10  # one frame in the middle is not GSM
    error = _code(bytes(frames), filename="x.gsm")
    assert error.code == "not_audio" and "byte 660" in str(error)


def test_truncated_gsm_and_odd_sln_are_corrupt(tone8k: Path) -> None:
    gsm = _raw(tone8k, "gsm")
    error = _code(gsm[:-10], filename="x.gsm")
    assert error.code == "corrupt_audio" and "33-byte frames" in str(error) and "23 bytes left over" in str(error)
    sln = _raw(tone8k, "s16le")
    error = _code(sln[:-1], filename="x.sln")
    assert error.code == "corrupt_audio" and "2-byte frames" in str(error)
    assert _code(gsm[:20], filename="x.gsm").code == "corrupt_audio"  # less than one frame


def test_duration_cap_is_applied_before_decoding(tone8k: Path) -> None:
    data = _raw(tone8k, "alaw")
    error = _code(data, filename="x.alaw", max_duration_s=2.0)
    assert error.code == "too_long" and "3.0 s" in str(error)
    assert decode(data, filename="x.alaw", max_duration_s=3.5).duration_s == pytest.approx(3.0)


def test_empty_file_with_telephony_name_is_empty() -> None:
    assert _code(b"", filename="x.gsm").code == "empty_input"
