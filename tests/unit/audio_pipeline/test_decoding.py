"""Decoding: every supported format, every rejection code, bounded memory, analysis-form WAV."""

from __future__ import annotations

import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline.decoding import (
    DecodedAudio,
    decode,
    is_analysis_form,
    read_analysis_wav,
    sniff_format,
    to_wav_bytes,
)
from audio_pipeline.errors import AudioPipelineError
from support.audio_fixtures import AudioFactory

TONE_S = 5.0  # long enough that ADTS priming/padding (≈ 2 AAC frames) stays under 1 %
TONE_HZ = 440.0

# extension -> (format label, original rate, decoder back end's codec name)
FORMATS = {
    "wav": ("wav", 44100, "PCM_16"),
    "aiff": ("aiff", 44100, "PCM_16"),
    "flac": ("flac", 44100, "PCM_16"),
    "ogg": ("ogg", 44100, "VORBIS"),
    "opus": ("opus", 48000, "OPUS"),
    "mp3": ("mp3", 44100, "MPEG_LAYER_III"),
    "m4a": ("m4a", 44100, "aac"),
    "aac": ("aac", 44100, "aac"),
    "webm": ("webm", 48000, "opus"),
    "mka": ("mka", 44100, "flac"),
}


@pytest.fixture(scope="module")
def tone(audio: AudioFactory) -> Path:
    return audio.tone(freq=TONE_HZ, duration=TONE_S, rate=44100, channels=2, amplitude=0.5)


def _error_code(data: bytes, **kwargs: object) -> str:
    with pytest.raises(AudioPipelineError) as info:
        decode(data, **kwargs)  # type: ignore[arg-type]
    assert str(info.value), "every rejection carries a human-readable detail"
    return info.value.code


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


# --------------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_format_decodes_to_16k_mono_with_true_duration(audio: AudioFactory, tone: Path, ext: str) -> None:
    label, rate, codec = FORMATS[ext]
    data = audio.transcode(tone, ext).read_bytes()

    decoded = decode(data)

    assert decoded.format == label
    assert decoded.codec == codec
    assert decoded.original_sample_rate == rate
    assert decoded.original_channels == 2
    assert decoded.duration_s == pytest.approx(TONE_S, rel=0.01)
    assert decoded.sample_rate == 16000
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.samples.size == pytest.approx(TONE_S * 16000, rel=0.01)
    assert _dominant_hz(decoded.samples, 16000) == pytest.approx(TONE_HZ, abs=2.0)
    rms = float(np.sqrt(np.mean(decoded.samples[16000:-16000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_speech_voices_decode_at_native_rate_when_asked(audio: AudioFactory) -> None:
    for voice in ("en-us", "en-gb+f3"):
        path = audio.speech(voice, rate=8000)
        truth = sf.info(str(path)).duration
        decoded = decode(path.read_bytes(), target_rate=None)
        assert decoded.sample_rate == decoded.original_sample_rate == 8000
        assert decoded.original_channels == 1
        assert decoded.samples.size == sf.info(str(path)).frames
        assert decoded.duration_s == pytest.approx(truth, rel=1e-6)
        reference, _ = sf.read(str(path), dtype="float32")
        np.testing.assert_array_equal(decoded.samples, reference)


def test_attributes_and_hash(audio: AudioFactory, tone: Path) -> None:
    import hashlib

    data = tone.read_bytes()
    decoded = decode(data)
    attrs = decoded.to_attributes()
    assert attrs[attr.SHA256] == hashlib.sha256(data).hexdigest() == decoded.sha256
    assert attrs[attr.FORMAT] == "wav"
    assert attrs[attr.ORIGINAL_SAMPLE_RATE] == "44100"
    assert attrs[attr.ORIGINAL_CHANNELS] == "2"
    assert attrs[attr.SAMPLE_RATE] == "16000"
    assert attrs[attr.CHANNELS] == "1"
    assert float(attrs[attr.DURATION_SECONDS]) == pytest.approx(TONE_S)


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


def test_clipping_is_counted_on_original_samples(audio: AudioFactory) -> None:
    clipped = audio.tone(freq=100.0, duration=1.0, rate=44100, channels=1, amplitude=4.0)  # sox clips
    decoded = decode(clipped.read_bytes())
    assert decoded.clipping_ratio > 0.5
    clean = decode(audio.tone(duration=1.0, amplitude=0.5).read_bytes())
    assert clean.clipping_ratio == 0.0


# --------------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------------


def _wav_header(rate: int, channels: int, *, bits: int = 16, frames: int = 100, tag: int = 1) -> bytes:
    block = max(1, channels * bits // 8)
    data = b"\x00" * (frames * block)
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_hand_built_wav_header_is_valid_when_sane() -> None:
    decoded = decode(_wav_header(8000, 1, frames=8000))
    assert decoded.duration_s == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("rate", "channels"),
    [(0, 1), (10_000_000, 1), (384_001, 2), (44100, 0), (44100, 1000), (44100, 65)],
    ids=["0Hz", "10MHz", "384001Hz", "0ch", "1000ch", "65ch"],
)
def test_absurd_wav_headers_are_invalid_header(rate: int, channels: int) -> None:
    assert _error_code(_wav_header(rate, channels)) == "invalid_header"


def test_zero_bits_per_sample_is_invalid_header() -> None:
    assert _error_code(_wav_header(8000, 1, bits=0)) == "invalid_header"


NOT_AUDIO = {
    "text": b"This is a plain text file.\nIt is definitely not audio.\n" * 50,
    "json": b'{"audio": "no", "values": [1, 2, 3]}',
    "elf-header": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 4000,
    "pdf": b"%PDF-1.7\n" + b"\x00\x01\x02" * 1000,
    "zip": b"PK\x03\x04" + bytes(range(256)) * 10,
    "midi": b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0" + b"MTrk" + b"\x00" * 100,
    "forged-mp3-sync": b"\xff\xfb\x90\x64" + np.random.default_rng(7).bytes(50_000),
    "forged-adts-sync": b"\xff\xf1\x50\x80" + np.random.default_rng(8).bytes(50_000),
    "id3-then-junk": b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"junk" * 1000,
    "ogg-without-audio": b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e" + b"\x80theora" + b"\x00" * 200,
}


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
def test_non_audio_is_refused(name: str) -> None:
    assert _error_code(NOT_AUDIO[name]) == "not_audio"


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_are_not_audio(seed: int) -> None:
    data = np.random.default_rng(seed).bytes(64 * 1024)
    assert _error_code(data) == "not_audio"


def test_real_executable_is_not_audio() -> None:
    exe = Path(sys.executable).resolve().read_bytes()[: 256 * 1024]
    assert _error_code(exe) == "not_audio"


def test_random_bytes_that_ffprobe_calls_audio_are_refused(tmp_path: Path) -> None:
    """Why signatures must chain: ffprobe reports an AAC stream in an ADTS sync word plus noise."""
    data = NOT_AUDIO["forged-adts-sync"]
    path = tmp_path / "forged.bin"
    path.write_bytes(data)
    probe = subprocess.run(
        ["ffprobe", "-v", "quiet", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "audio" in probe.stdout  # the permissive probe is fooled ...
    assert _error_code(data) == "not_audio"  # ... we are not
    with pytest.raises(AudioPipelineError) as info:
        sniff_format(data)
    assert info.value.code == "not_audio"


def test_empty_input() -> None:
    assert _error_code(b"") == "empty_input"


def test_wav_without_frames_is_empty() -> None:
    assert _error_code(_wav_header(8000, 1, frames=0)) == "empty_input"


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "ogg", "opus", "aiff"])
@pytest.mark.parametrize("fraction", [0.5, 0.93])
def test_truncated_files_are_corrupt(audio: AudioFactory, tone: Path, ext: str, fraction: float) -> None:
    data = audio.transcode(tone, ext).read_bytes()
    assert _error_code(data[: int(len(data) * fraction)]) == "corrupt_audio"


def test_truncated_m4a_is_corrupt(audio: AudioFactory, tone: Path, tmp_path: Path) -> None:
    data = audio.transcode(tone, "m4a").read_bytes()  # moov at the end: the cut loses it
    assert _error_code(data[: len(data) // 2]) == "corrupt_audio"
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


def test_forged_container_signature_with_garbage_is_corrupt() -> None:
    garbage = np.random.default_rng(11).bytes(20_000)
    assert _error_code(b"\x00\x00\x00\x20ftypM4A " + garbage) == "corrupt_audio"
    assert _error_code(b"fLaC" + garbage) == "corrupt_audio"
    assert _error_code(b"RIFF\x00\x10\x00\x00WAVE" + garbage) == "corrupt_audio"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_float_wav(tmp_path: Path, bad: float) -> None:
    x = np.zeros((16000, 2), dtype=np.float32)
    x[12345, 1] = bad
    path = tmp_path / "bad.wav"
    sf.write(str(path), x, 16000, subtype="FLOAT")
    with pytest.raises(AudioPipelineError) as info:
        decode(path.read_bytes())
    assert info.value.code == "non_finite_samples"
    assert "12345" in str(info.value)


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "m4a"])
def test_longer_than_max_is_too_long(audio: AudioFactory, tone: Path, ext: str) -> None:
    data = audio.transcode(tone, ext).read_bytes()
    assert _error_code(data, max_duration_s=2.0) == "too_long"
    assert decode(data, max_duration_s=TONE_S + 1).duration_s == pytest.approx(TONE_S, rel=0.01)


# --------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["flac", "mka"])  # soundfile back end, ffmpeg back end
def test_long_file_memory_is_proportional_to_output(audio: AudioFactory, ext: str) -> None:
    minutes = 10.0
    data = audio.long_file(ext, minutes=minutes, rate=44100, channels=2).read_bytes()
    original_f32 = minutes * 60 * 44100 * 2 * 4  # what loading the original as float32 would take
    expected_out = minutes * 60 * 16000 * 4

    tracemalloc.start()
    try:
        decoded = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert decoded.samples.nbytes == pytest.approx(expected_out, rel=0.01)
    assert peak < expected_out * 1.1 + 16e6, f"peak {peak / 1e6:.1f} MB"
    assert peak < original_f32 / 3


# --------------------------------------------------------------------------------------------------
# Analysis-form WAV
# --------------------------------------------------------------------------------------------------


def test_analysis_wav_round_trip_is_16_bit_and_exact_for_16_bit_input() -> None:
    pcm = np.random.default_rng(0).integers(-32768, 32768, 16001).astype(np.int16)
    x = pcm.astype(np.float32) / 32768
    data = to_wav_bytes(x, 16000)
    assert isinstance(data, bytes)
    assert len(data) == 44 + pcm.nbytes

    y, rate = read_analysis_wav(data)

    assert rate == 16000
    assert y.dtype == np.float32
    np.testing.assert_array_equal(x, y)
    y[0] = 0.5  # the caller owns the samples


def test_analysis_wav_quantises_to_the_nearest_step_and_clips() -> None:
    x = np.array([0.1, -0.1, 1 / 65536 * 0.9, 1.5, -1.5, 1.0, -1.0], dtype=np.float32)
    y, _ = read_analysis_wav(to_wav_bytes(x, 16000))
    np.testing.assert_array_equal(y * 32768, [3277, -3277, 0, 32767, -32768, 32767, -32768])
    assert np.max(np.abs(y[:2] - x[:2])) <= 0.5 / 32768


def test_analysis_wav_is_a_standard_pcm16_wav() -> None:
    x = np.arange(-400, 400, dtype=np.float32) * 80 / 32768  # 16-bit values from -1 up
    data = to_wav_bytes(x, 8000)
    info = sf.info(__import__("io").BytesIO(data))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (8000, 1, "PCM_16", 800)
    decoded = decode(data, target_rate=None)
    np.testing.assert_array_equal(decoded.samples, x)  # k/32768 values survive exactly
    by_libsndfile, _ = sf.read(__import__("io").BytesIO(data), dtype="float32")
    np.testing.assert_array_equal(read_analysis_wav(data)[0], by_libsndfile)


def test_read_analysis_wav_accepts_other_wavs(tmp_path: Path) -> None:
    stereo = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1)
    path = tmp_path / "s.wav"
    sf.write(str(path), stereo, 22050, subtype="PCM_16")
    y, rate = read_analysis_wav(path.read_bytes())
    assert rate == 22050
    np.testing.assert_allclose(y, 0.125, atol=1e-4)


def test_read_analysis_wav_keeps_only_the_start_when_asked(tmp_path: Path) -> None:
    x = np.arange(-8000, 8000, dtype=np.float32) / 32768  # 1 s at 16 kHz, exact 16-bit values
    data = to_wav_bytes(x, 16000)
    head, rate = read_analysis_wav(data, max_seconds=0.25)
    assert rate == 16000
    np.testing.assert_array_equal(head, x[:4000])
    assert read_analysis_wav(data, max_seconds=5.0)[0].size == x.size
    path = tmp_path / "stereo.wav"  # the soundfile path cuts too
    sf.write(str(path), np.stack([x, x], axis=1), 16000, subtype="PCM_16")
    np.testing.assert_array_equal(read_analysis_wav(path.read_bytes(), max_seconds=0.25)[0], x[:4000])


def test_read_analysis_wav_rejects_garbage() -> None:
    with pytest.raises(AudioPipelineError) as info:
        read_analysis_wav(b"not a wav at all")
    assert info.value.code == "corrupt_audio"
    with pytest.raises(AudioPipelineError) as info:
        read_analysis_wav(b"")
    assert info.value.code == "empty_input"


def test_input_already_in_analysis_form_is_recognised_and_kept_by_the_decode_step(tmp_path: Path) -> None:
    from audio_pipeline import flow_steps

    pcm = np.random.default_rng(1).integers(-32768, 32768, 16000).astype(np.int16)
    path = tmp_path / "speech.wav"
    sf.write(str(path), pcm, 16000, subtype="PCM_16")  # libsndfile's own header, not ours
    data = path.read_bytes()
    assert is_analysis_form(data, decode(data))
    step = flow_steps.decode(data, target_rate=16000, max_duration_s=60)
    assert step.content is None  # the FlowFile keeps the received bytes
    assert step.attributes[attr.SAMPLE_RATE] == "16000"
    np.testing.assert_array_equal(read_analysis_wav(data)[0], decode(data).samples)


@pytest.mark.parametrize(
    ("rate", "subtype", "channels", "target"),
    [
        (16000, "PCM_16", 1, 8000),  # resampled
        (16000, "PCM_16", 2, 16000),  # downmixed
        (16000, "PCM_24", 1, 16000),  # requantised
        (16000, "FLOAT", 1, 16000),
    ],
)
def test_other_input_is_rewritten_to_the_analysis_form(
    tmp_path: Path, rate: int, subtype: str, channels: int, target: int
) -> None:
    from audio_pipeline import flow_steps

    x = np.random.default_rng(2).uniform(-0.5, 0.5, (rate, channels)).astype(np.float32)
    path = tmp_path / "in.wav"
    sf.write(str(path), x, rate, subtype=subtype)
    data = path.read_bytes()
    assert not is_analysis_form(data, decode(data, target_rate=target))
    step = flow_steps.decode(data, target_rate=target, max_duration_s=60)
    assert step.content is not None
    assert read_analysis_wav(step.content)[1] == target


def test_flac_of_analysis_form_samples_is_still_rewritten(tmp_path: Path) -> None:
    pcm = np.random.default_rng(3).integers(-32768, 32768, 1600).astype(np.int16)
    path = tmp_path / "in.flac"
    sf.write(str(path), pcm, 16000, subtype="PCM_16")
    data = path.read_bytes()
    assert not is_analysis_form(data, decode(data))  # same samples, but not a WAV downstream can read fast
    from audio_pipeline import flow_steps

    assert flow_steps.decode(data, target_rate=16000, max_duration_s=60).content is not None


def test_analysis_form_check_compares_the_samples() -> None:
    data = to_wav_bytes(np.linspace(-0.5, 0.5, 3200, dtype=np.float32), 16000)
    decoded = decode(data)
    assert is_analysis_form(data, decoded)
    changed = decoded.samples.copy()
    changed[-1] += 1 / 32768
    assert not is_analysis_form(data, DecodedAudio(**{**decoded.__dict__, "samples": changed}))
    assert not is_analysis_form(data, DecodedAudio(**{**decoded.__dict__, "samples": changed[:-1]}))
    assert not is_analysis_form(data[:-2], decoded)  # truncated data chunk


def test_decoded_audio_type() -> None:
    decoded = decode(_wav_header(16000, 1, frames=1600))
    assert isinstance(decoded, DecodedAudio)
    assert decoded.samples.size == 1600  # same rate: no resampling delay or loss


def test_to_wav_bytes_memory_is_the_output_plus_one_block_and_validates() -> None:
    x = np.zeros(4_000_000, dtype=np.float32)
    tracemalloc.start()
    try:
        data = to_wav_bytes(x, 16000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) == 44 + x.size * 2
    assert peak < x.size * 2 * 1.3 + 8 * (1 << 20)  # the BytesIO growing, plus one converted block
    with pytest.raises(ValueError):
        to_wav_bytes(np.zeros((10, 2), dtype=np.float32), 16000)
    with pytest.raises(ValueError):
        to_wav_bytes(x, 0)


# --------------------------------------------------------------------------------------------------
# ffmpeg back end: environment failures
# --------------------------------------------------------------------------------------------------


def test_ffmpeg_timeout_has_its_own_code(audio: AudioFactory, tone: Path) -> None:
    data = audio.transcode(tone, "m4a").read_bytes()
    assert _error_code(data, timeout_s=0.001) == "decode_timeout"


def test_missing_ffmpeg_is_reported(audio: AudioFactory, tone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import audio_pipeline.decoding as decoding

    data = audio.transcode(tone, "m4a").read_bytes()
    monkeypatch.setattr(decoding.shutil, "which", lambda _name: None)
    assert _error_code(data) == "decoder_unavailable"
    assert decode(tone.read_bytes()).format == "wav"  # the soundfile formats do not need it


def test_absurd_float_sample_values_are_corrupt(tmp_path: Path) -> None:
    x = np.zeros(16000, dtype=np.float32)
    x[100] = 3e38  # finite, but would overflow the downmix and every level computed from it
    path = tmp_path / "huge.wav"
    sf.write(str(path), x, 16000, subtype="FLOAT")
    assert _error_code(path.read_bytes()) == "corrupt_audio"
