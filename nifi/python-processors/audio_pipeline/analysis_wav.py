"""The analysis form: the mono 16-bit PCM WAV that is the FlowFile content between processors.

Why it looks like this:

* 16 bits, not float32: every processor that reads the content gets it through py4j as base64
  text, so the size of this form is most of what NiFi pays per file (docs/benchmark.md). 16-bit
  quantisation noise (-98 dBFS) is far below what PESQ, the fingerprints or the classifier react
  to, and input that was 16-bit at the target rate round-trips exactly (scale 32768, libsndfile's).
  Levels and clipping are measured before this, on the float samples.
* DecodeAudio writes it; ClassifyAudio, FingerprintAudio, ScoreSpeechQuality and
  RegisterCatalogTrack only read it. So this module imports nothing but numpy: reading the form
  needs neither the decoder nor soxr, and libsndfile (soundfile) is loaded only for the fallback
  that reads some other WAV layout.
* Long files: conversion runs in blocks, so memory stays at the output plus one block.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

import numpy as np

from audio_pipeline import riff
from audio_pipeline.errors import CorruptAudioError, EmptyInputError
from audio_pipeline.limits import MAX_SAMPLE_RATE

if TYPE_CHECKING:
    from audio_pipeline.decoding import DecodedAudio

PCM_SCALE = np.float32(32768)  # 16-bit PCM <-> float, as libsndfile scales it
_PCM_BLOCK = 1 << 20  # samples converted at a time


def to_wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Encode mono float samples as the analysis form (values beyond full scale are clipped)."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected 1-D mono samples, got shape {x.shape}")
    if not 0 < rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"rate must be in 1..{MAX_SAMPLE_RATE}, got {rate}")
    data_size = x.size * 2
    out = io.BytesIO()
    out.write(
        b"".join(
            (
                b"RIFF",
                struct.pack("<I", 36 + data_size),
                b"WAVE",
                b"fmt ",
                struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16),
                b"data",
                struct.pack("<I", data_size),
            )
        )
    )
    for start in range(0, x.size, _PCM_BLOCK):
        block = np.multiply(x[start : start + _PCM_BLOCK], PCM_SCALE, dtype=np.float32)
        np.rint(block, out=block)
        np.clip(block, -PCM_SCALE, PCM_SCALE - 1, out=block)
        out.write(block.astype("<i2").tobytes())
    return out.getvalue()


def read_analysis_wav(data: bytes, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Return (samples, rate) from analysis-form WAV content as float32 in [-1, 1).

    `max_seconds` keeps only the start, cut before the conversion (a step that looks at the first
    minutes of an hour-long file need not convert all of it). Falls back to soundfile (downmixed to
    mono float32) for any other WAV layout, so a processor still works if it is handed some other
    mono/stereo WAV.
    """
    if len(data) == 0:
        raise EmptyInputError("analysis content is empty (0 bytes)")
    layout = pcm16_mono_layout(data)
    if layout is not None:
        rate, offset, count = layout
        if max_seconds is not None:
            count = min(count, int(max_seconds * rate))
        samples = np.frombuffer(data, dtype="<i2", count=count, offset=offset).astype(np.float32)
        samples *= 1 / PCM_SCALE
        return samples, rate
    return _read_other_wav(data, max_seconds)


def is_analysis_form(data: bytes, decoded: DecodedAudio) -> bool:
    """True when `data` already is a mono 16-bit PCM WAV of exactly `decoded`'s samples at its rate.

    Then the input can stay the FlowFile content: `to_wav_bytes` would only rewrite the same samples,
    and every rewrite is one more trip of the whole content through py4j. Compared block by block
    (no second full copy), so any difference, extra channel or other layout answers False.
    """
    try:
        layout = pcm16_mono_layout(data)
    except CorruptAudioError:
        return False
    if layout is None:
        return False
    rate, offset, count = layout
    if rate != decoded.sample_rate or count != decoded.samples.size:
        return False
    pcm = np.frombuffer(data, dtype="<i2", count=count, offset=offset)
    for start in range(0, count, _PCM_BLOCK):
        block = pcm[start : start + _PCM_BLOCK].astype(np.float32)
        block *= 1 / PCM_SCALE
        if not np.array_equal(block, decoded.samples[start : start + _PCM_BLOCK]):
            return False
    return True


def pcm16_mono_layout(data: bytes) -> tuple[int, int, int] | None:
    """(rate, data offset, sample count) of a little-endian mono 16-bit PCM WAV; None for any other layout.

    Raises `CorruptAudioError` when that layout's data chunk declares more bytes than are present.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    wave = riff.wave_layout(data)
    fmt = wave.fmt
    if fmt is None or wave.data_size is None:
        return None
    if fmt.tag != 1 or fmt.channels != 1 or fmt.bits != 16 or not 0 < fmt.rate <= MAX_SAMPLE_RATE:
        return None
    size, offset = wave.data_size, wave.data_offset
    available = len(data) - offset
    if size in (0, 0xFFFFFFFF):
        size = available
    if size > available:
        raise CorruptAudioError(f"analysis WAV is truncated: {size} bytes declared, {available} present")
    return int(fmt.rate), offset, size // 2


def _read_other_wav(data: bytes, max_seconds: float | None) -> tuple[np.ndarray, int]:
    import soundfile as sf  # deferred: only a WAV in some other layout needs libsndfile

    try:
        x, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorruptAudioError(f"analysis content is not a readable WAV: {exc}") from exc
    if max_seconds is not None:
        x = x[: int(max_seconds * rate)]
    mono = x[:, 0] if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(mono), int(rate)
