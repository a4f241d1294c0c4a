"""The libsndfile back end (through soundfile): WAV/RF64/W64/AIFF/CAF/AU, FLAC, Ogg Vorbis/Opus, MPEG audio.

libsndfile decodes these in-process from the bytes we hold, with no temporary file or subprocess,
so every format it reads well goes here. Run `structure.check_structure` first: libsndfile does not
notice truncation by itself. Where libsndfile fails on valid files (it refuses some Ogg Opus streams
ffmpeg decodes cleanly, and reads only the first link of a chained Ogg stream), `decoding.decode`
hands the file to ffmpeg: `refused_by_libsndfile` tells such a refusal from our own checks, and
`reads_completely` names the files it would silently shorten.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import soundfile as sf

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.mono_sink import MonoSink, block_frames
from audio_pipeline.decoding.options import DecodeOptions
from audio_pipeline.errors import CorruptAudioError, EmptyInputError, TooLongError
from audio_pipeline.limits import check_rate_channels

FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac", "ogg", "opus", "mp3", "mp2", "mp1"})
# Formats whose header states the exact frame count, so an over-long file is refused before decoding.
_EXACT_LENGTH_FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac"})
_LIBSNDFILE_ERRORS = (sf.LibsndfileError, RuntimeError, ValueError)
DECODER = "libsndfile"  # DecodedAudio.decoder of what this back end decoded


def refused_by_libsndfile(exc: BaseException) -> bool:
    """Whether `exc`, raised by `decode_soundfile`, is libsndfile itself failing to open or decode the data
    (not one of our checks: truncation, sample values, duration, header bounds)."""
    return isinstance(exc, CorruptAudioError) and isinstance(exc.__cause__, _LIBSNDFILE_ERRORS)


def reads_completely(data: bytes, fmt: str) -> bool:
    """False for input libsndfile would decode only in part: a chained Ogg stream (a second beginning-of-
    stream page after the first link), of which it reads the first link alone. Call after `check_structure`,
    which has walked the page chain."""
    if fmt not in ("ogg", "opus"):
        return True
    pos, size = 0, len(data)
    while pos + 27 <= size:
        if pos > 0 and data[pos + 5] & 0x02:
            return False
        nsegs = data[pos + 26]
        pos += 27 + nsegs + sum(data[pos + 27 : pos + 27 + nsegs])
    return True


def decode_soundfile(data: bytes, fmt: str, options: DecodeOptions) -> DecodedAudio:
    """Decode `data` (sniffed as `fmt`, one of `FORMATS`) block by block into a `MonoSink`."""
    try:
        handle = sf.SoundFile(io.BytesIO(data))
    except _LIBSNDFILE_ERRORS as exc:
        raise CorruptAudioError(f"{fmt} could not be opened by libsndfile: {exc}") from exc
    with handle:
        rate, channels = int(handle.samplerate), int(handle.channels)
        check_rate_channels(rate, channels, f"{fmt} header")
        declared = int(handle.frames)
        if fmt in _EXACT_LENGTH_FORMATS and declared > options.max_frames(rate):
            raise TooLongError(
                f"audio lasts {declared / rate:.1f} s, longer than the maximum of {options.max_duration_s:g} s"
            )
        sink = MonoSink(rate, channels, declared, options)
        block = np.empty((block_frames(channels), channels), dtype=np.float32)
        while True:
            try:
                got = handle.read(dtype="float32", always_2d=True, out=block)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise CorruptAudioError(f"{fmt} decoding failed after {sink.frames} frames: {exc}") from exc
            if got.shape[0] == 0:
                break
            sink.push(got)
            if got.shape[0] < block.shape[0]:
                break
        codec = str(handle.subtype)
    if sink.frames == 0:
        raise EmptyInputError(f"{fmt} container holds no audio samples")
    if fmt == "flac" and sink.frames < declared:
        raise CorruptAudioError(f"FLAC is truncated: STREAMINFO declares {declared} frames, {sink.frames} were decoded")
    return replace(sink.result(data, fmt, codec), decoder=DECODER)
