"""Decode untrusted audio bytes into mono samples at one rate: the source of the analysis form.

The steps, one module each: `sniffing` names the format from the leading bytes (refusing what is
not audio); `structure` checks the container for truncation and absurd headers where libsndfile
would not notice; then `soundfile_backend` (libsndfile, in-process) or `ffmpeg_backend` (a
subprocess after ffprobe) decodes in blocks into `mono_sink`, which downmixes, resamples and counts
clipping with bounded memory. The analysis-form WAV written from the result is `analysis_wav`.
"""

from __future__ import annotations

import os

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.ffmpeg_backend import FORMATS as FFMPEG_FORMATS
from audio_pipeline.decoding.ffmpeg_backend import decode_ffmpeg
from audio_pipeline.decoding.sniffing import sniff_format
from audio_pipeline.decoding.soundfile_backend import FORMATS as SOUNDFILE_FORMATS
from audio_pipeline.decoding.soundfile_backend import decode_soundfile
from audio_pipeline.decoding.structure import check_structure
from audio_pipeline.limits import MAX_CHANNELS, MAX_SAMPLE_RATE

__all__ = [
    "DEFAULT_TARGET_RATE",
    "FFMPEG_FORMATS",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "SOUNDFILE_FORMATS",
    "DecodedAudio",
    "decode",
    "sniff_format",
]

DEFAULT_TARGET_RATE = 16_000
_MAX_DURATION_CAP_S = 1e7  # keeps frame arithmetic finite when callers pass inf


def decode(
    data: bytes,
    *,
    target_rate: int | None = DEFAULT_TARGET_RATE,
    max_duration_s: float = 3600.0,
    timeout_s: float = 600.0,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> DecodedAudio:
    """Decode `data` to mono float32 at `target_rate` (None keeps the original rate).

    Raises an `AudioPipelineError` subclass for anything that is not clean, complete audio; a decode
    that outlives `timeout_s` (ffmpeg path only) raises `DecodeTimeoutError`. `tmp_dir` is where
    the ffmpeg path spills the input so that ffprobe/ffmpeg can seek in it.
    """
    if target_rate is not None and not 0 < target_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"target_rate must be in 1..{MAX_SAMPLE_RATE}, got {target_rate}")
    if not max_duration_s > 0:
        raise ValueError(f"max_duration_s must be positive, got {max_duration_s}")
    max_duration_s = min(float(max_duration_s), _MAX_DURATION_CAP_S)
    if not isinstance(data, bytes):
        data = bytes(data)
    fmt = sniff_format(data)
    if fmt in SOUNDFILE_FORMATS:
        check_structure(data, fmt)
        return decode_soundfile(data, fmt, target_rate, max_duration_s)
    return decode_ffmpeg(data, fmt, target_rate, max_duration_s, timeout_s, tmp_dir)
