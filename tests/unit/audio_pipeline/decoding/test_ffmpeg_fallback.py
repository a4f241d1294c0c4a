"""The ffmpeg fallback: Opus (and Ogg) files libsndfile refuses or would shorten are decoded by ffmpeg instead.

libsndfile 1.2.2 refuses valid Ogg Opus streams at the top bitrate (≈500–510 kbit/s stereo with 20–60 ms
frames: ffmpeg's Ogg muxer then continues packets across pages), "Supported file format but file is
malformed" on the last packet; and it reads only the first link of a chained Ogg stream. The matrix
below covers the encoders and settings around them; every variant must decode, with its true duration
and content, whichever decoder ends up doing it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline.decoding import decode
from audio_pipeline.errors import AudioPipelineError
from support.decoder_inputs import TONE_HZ, TONE_S, decode_error_code

# name -> ffmpeg output options (the source is the stereo 44.1 kHz tone of conftest, TONE_S long)
FFMPEG_OPUS: dict[str, list[str]] = {
    "libopus-6k": ["-c:a", "libopus", "-b:a", "6k"],
    "libopus-32k": ["-c:a", "libopus", "-b:a", "32k"],
    "libopus-128k": ["-c:a", "libopus", "-b:a", "128k"],
    "libopus-256k": ["-c:a", "libopus", "-b:a", "256k"],
    "libopus-510k-vbr": ["-c:a", "libopus", "-b:a", "510k"],
    "libopus-510k-cbr": ["-c:a", "libopus", "-b:a", "510k", "-vbr", "off"],
    "libopus-510k-cbr-40ms": ["-c:a", "libopus", "-b:a", "510k", "-vbr", "off", "-frame_duration", "40"],
    "libopus-510k-cbr-60ms": ["-c:a", "libopus", "-b:a", "510k", "-vbr", "off", "-frame_duration", "60"],
    "libopus-510k-cbr-120ms": ["-c:a", "libopus", "-b:a", "510k", "-vbr", "off", "-frame_duration", "120"],
    "libopus-voip": ["-c:a", "libopus", "-b:a", "24k", "-application", "voip"],
    "libopus-lowdelay": ["-c:a", "libopus", "-b:a", "64k", "-application", "lowdelay"],
    **{
        f"libopus-{fd}ms": ["-c:a", "libopus", "-b:a", "64k", "-frame_duration", fd]
        for fd in ("2.5", "5", "10", "20", "40", "60", "80", "100", "120")
    },
    "libopus-mapping-1": ["-c:a", "libopus", "-mapping_family", "1"],
    "libopus-mapping-255": ["-c:a", "libopus", "-mapping_family", "255"],
    "libopus-mono": ["-c:a", "libopus", "-ac", "1"],
    "libopus-5.1": ["-c:a", "libopus", "-ac", "6", "-mapping_family", "1"],
    "libopus-8k": ["-c:a", "libopus", "-ar", "8000"],
    "libopus-big-tags": ["-c:a", "libopus", "-metadata", "comment=" + "lyrics " * 15_000],
    "libopus-long-pages": ["-c:a", "libopus", "-b:a", "256k", "-page_duration", "5000000"],
    "native-opus": ["-c:a", "opus", "-strict", "-2"],
    "native-opus-510k": ["-c:a", "opus", "-strict", "-2", "-b:a", "510k"],
}
# Variants libsndfile 1.2.2 refuses ("opus decoding failed after 0 frames: Supported file format but file is
# malformed."): the fallback must be what decodes them.
REFUSED_BY_LIBSNDFILE_1_2_2 = (
    "libopus-510k-vbr",
    "libopus-510k-cbr",
    "libopus-510k-cbr-40ms",
    "libopus-510k-cbr-60ms",
    "libopus-long-pages",
    "native-opus-510k",
)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _libsndfile_refuses(data: bytes) -> bool:
    try:
        with sf.SoundFile(io.BytesIO(data)) as handle:
            while handle.read(65536, dtype="float32").shape[0] == 65536:
                pass
    except (sf.LibsndfileError, RuntimeError):
        return True
    return False


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def _assert_tone(data: bytes, duration_s: float, *, channels: int, freq: float = TONE_HZ, level: float = 1.0) -> None:
    decoded = decode(data)
    assert decoded.format == "opus"
    assert decoded.original_channels == channels
    assert decoded.duration_s == pytest.approx(duration_s, abs=0.005)
    assert decoded.samples.size == pytest.approx(duration_s * 16000, abs=0.005 * 16000)
    assert _dominant_hz(decoded.samples, 16000) == pytest.approx(freq, abs=2.0)
    rms = float(np.sqrt(np.mean(decoded.samples[8000:-8000] ** 2)))
    assert rms == pytest.approx(level * 0.5 / np.sqrt(2), rel=0.15)
    if _libsndfile_refuses(data):
        assert decoded.decoder == "ffmpeg" and decoded.codec == "opus"
        assert decoded.decoder_fallback.startswith("libsndfile: opus ")
    else:
        assert decoded.decoder == "libsndfile" and decoded.codec == "OPUS" and decoded.decoder_fallback == ""


@pytest.mark.parametrize("name", sorted(FFMPEG_OPUS))
def test_ffmpeg_opus_variants_decode(tone: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS[name], str(out))
    channels = 1 if name == "libopus-mono" else 6 if name == "libopus-5.1" else 2
    level = 2 / 6 if channels == 6 else 1.0  # ffmpeg's stereo-to-5.1 upmix fills the front pair only
    _assert_tone(out.read_bytes(), TONE_S, channels=channels, level=level)


@pytest.mark.parametrize("name", REFUSED_BY_LIBSNDFILE_1_2_2)
def test_opus_libsndfile_refuses_is_decoded_by_ffmpeg(tone: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS[name], str(out))
    data = out.read_bytes()
    if not _libsndfile_refuses(data):
        pytest.skip(f"libsndfile {sf.__libsndfile_version__} reads this file: no fallback needed")
    decoded = decode(data)
    assert decoded.decoder == "ffmpeg"
    assert "Supported file format but file is malformed" in decoded.decoder_fallback
    attrs = decoded.to_attributes()
    assert attrs[attr.DECODER] == "ffmpeg" and attrs[attr.DECODER_FALLBACK] == decoded.decoder_fallback
    assert decoded.duration_s == pytest.approx(TONE_S, abs=0.005)


OPUSENC: dict[str, list[str]] = {
    "default": [],
    "6k-speech": ["--bitrate", "6", "--speech"],
    "512k-hard-cbr": ["--bitrate", "512", "--hard-cbr"],
    "2.5ms": ["--framesize", "2.5"],
    "60ms": ["--framesize", "60"],
    "big-comment": ["--comment", "LYRICS=" + "la " * 30_000],
    "no-padding": ["--padding", "0"],
}


@pytest.mark.skipif(shutil.which("opusenc") is None, reason="opusenc (Debian opus-tools) is not installed")
@pytest.mark.parametrize("name", sorted([*OPUSENC, "cover-art"]))
def test_opusenc_variants_decode(tone: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "v.opus"
    if name == "cover-art":  # a 1500x1500 JPEG in METADATA_BLOCK_PICTURE: OpusTags spans several pages
        cover = tmp_path / "cover.jpg"
        _ffmpeg("-f", "lavfi", "-i", "testsrc=size=1500x1500", "-frames:v", "1", "-q:v", "2", str(cover))
        args = ["--picture", str(cover)]
    else:
        args = OPUSENC[name]
    subprocess.run(["opusenc", "--quiet", *args, str(tone), str(out)], check=True)
    _assert_tone(out.read_bytes(), TONE_S, channels=2)


def _tone_file(tmp_path: Path, name: str, freq: float, seconds: float, codec: list[str]) -> bytes:
    out = tmp_path / name
    _ffmpeg("-f", "lavfi", "-i", f"sine=f={freq}:r=48000:d={seconds}", "-af", "volume=-3dB", *codec, str(out))
    return out.read_bytes()


@pytest.mark.parametrize(
    ("ext", "codec", "label"),
    [("opus", ["-c:a", "libopus"], "opus"), ("ogg", ["-c:a", "libvorbis"], "ogg")],
)
def test_chained_ogg_is_decoded_whole(tmp_path: Path, ext: str, codec: list[str], label: str) -> None:
    first = _tone_file(tmp_path, f"a.{ext}", 440.0, 2.0, codec)
    second = _tone_file(tmp_path, f"b.{ext}", 660.0, 3.0, codec)
    decoded = decode(first + second)  # two links (each its own serial number), one after the other
    assert (decoded.format, decoded.decoder) == (label, "ffmpeg")
    assert "chained" in decoded.decoder_fallback
    assert decoded.duration_s == pytest.approx(5.0, abs=0.01)
    assert _dominant_hz(decoded.samples[: 2 * 16000 - 800], 16000) == pytest.approx(440.0, abs=2.0)
    assert _dominant_hz(decoded.samples[2 * 16000 + 800 :], 16000) == pytest.approx(660.0, abs=2.0)
    assert decode(first).decoder == "libsndfile"  # one link: libsndfile as always


@pytest.mark.parametrize("seconds", [0.0025, 0.02, 0.1])
def test_very_short_opus(tmp_path: Path, seconds: float) -> None:
    for codec in (["-c:a", "libopus"], ["-c:a", "opus", "-strict", "-2"]):
        decoded = decode(_tone_file(tmp_path, "short.opus", 440.0, seconds, codec), target_rate=None)
        assert decoded.duration_s == pytest.approx(seconds, abs=0.001)


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def _scramble_audio_pages(data: bytes, seed: int) -> bytes:
    """The same page chain (lacing, flags, granules, valid CRCs), with the audio packets replaced by noise."""
    rng = np.random.default_rng(seed)
    out, pos, index = bytearray(), 0, 0
    while pos < len(data):
        nsegs = data[pos + 26]
        body = sum(data[pos + 27 : pos + 27 + nsegs])
        page = bytearray(data[pos : pos + 27 + nsegs + body])
        if index >= 2:  # after OpusHead and OpusTags
            page[27 + nsegs :] = rng.bytes(body)
            page[22:26] = b"\x00\x00\x00\x00"
            page[22:26] = _ogg_crc(bytes(page)).to_bytes(4, "little")
        out += page
        pos, index = pos + len(page), index + 1
    return bytes(out)


def test_refused_opus_that_ffmpeg_cannot_decode_either_is_corrupt(tone: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS["libopus-510k-cbr"], str(out))
    broken = _scramble_audio_pages(out.read_bytes(), seed=5)
    assert _libsndfile_refuses(broken)
    with pytest.raises(AudioPipelineError) as info:
        decode(broken)
    assert info.value.code == "corrupt_audio"
    assert "ffmpeg could not decode it either" in str(info.value)
    assert "/tmp" not in str(info.value)


def test_truncated_refused_opus_is_corrupt_without_fallback(tone: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS["libopus-510k-cbr"], str(out))
    data = out.read_bytes()
    for cut in (len(data) // 2, int(len(data) * 0.93)):
        with pytest.raises(AudioPipelineError) as info:
            decode(data[:cut])
        assert info.value.code == "corrupt_audio"
        assert "truncated" in str(info.value) and "ffmpeg" not in str(info.value)


def test_our_own_checks_never_fall_back(tone: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS["libopus-510k-cbr"], str(out))
    assert decode_error_code(out.read_bytes(), max_duration_s=2.0) == "too_long"
    garbage = np.random.default_rng(11).bytes(20_000)
    assert decode_error_code(b"fLaC" + garbage) == "corrupt_audio"  # forged signature: still refused


def test_libsndfile_verdict_stands_without_ffmpeg(tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_pipeline.decoding import ffmpeg_backend

    out = tmp_path / "v.opus"
    _ffmpeg("-i", str(tone), *FFMPEG_OPUS["libopus-510k-cbr"], str(out))
    data = out.read_bytes()
    if not _libsndfile_refuses(data):
        pytest.skip("this libsndfile reads the file")
    monkeypatch.setattr(ffmpeg_backend.shutil, "which", lambda _name: None)
    with pytest.raises(AudioPipelineError) as info:
        decode(data)
    assert info.value.code == "corrupt_audio" and "malformed" in str(info.value)


def test_decoder_attributes_for_the_usual_paths(tone: Path) -> None:
    attrs = decode(tone.read_bytes()).to_attributes()
    assert attrs[attr.DECODER] == "libsndfile" and attrs[attr.DECODER_FALLBACK] == ""
