"""The libsndfile back end (through soundfile): WAV/RF64/W64/AIFF/CAF/AU, FLAC, Ogg Vorbis/Opus, MPEG audio.

libsndfile decodes these in-process from the bytes we hold, with no temporary file or subprocess,
so every format it reads well goes here. Run `structure.check_structure` first: libsndfile does not
notice truncation by itself.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.mono_sink import MonoSink, block_frames
from audio_pipeline.errors import CorruptAudioError, EmptyInputError, TooLongError
from audio_pipeline.limits import check_rate_channels

FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac", "ogg", "opus", "mp3", "mp2", "mp1"})
# Formats whose header states the exact frame count, so an over-long file is refused before decoding.
_EXACT_LENGTH_FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac"})


def decode_soundfile(data: bytes, fmt: str, target_rate: int | None, max_duration_s: float) -> DecodedAudio:
    """Decode `data` (sniffed as `fmt`, one of `FORMATS`) block by block into a `MonoSink`."""
    try:
        handle = sf.SoundFile(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise CorruptAudioError(f"{fmt} could not be opened by libsndfile: {exc}") from exc
    with handle:
        rate, channels = int(handle.samplerate), int(handle.channels)
        check_rate_channels(rate, channels, f"{fmt} header")
        declared = int(handle.frames)
        max_frames = int(max_duration_s * rate)
        if fmt in _EXACT_LENGTH_FORMATS and declared > max_frames:
            raise TooLongError(f"audio lasts {declared / rate:.1f} s, longer than the maximum of {max_duration_s:g} s")
        out_rate = target_rate or rate
        sink = MonoSink(rate, channels, out_rate, max_frames, max_duration_s, declared)
        block = np.empty((block_frames(channels), channels), dtype=np.float32)
        try:
            while True:
                got = handle.read(dtype="float32", always_2d=True, out=block)
                if got.shape[0] == 0:
                    break
                sink.push(got)
                if got.shape[0] < block.shape[0]:
                    break
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise CorruptAudioError(f"{fmt} decoding failed after {sink.frames} frames: {exc}") from exc
        codec = str(handle.subtype)
    if sink.frames == 0:
        raise EmptyInputError(f"{fmt} container holds no audio samples")
    if fmt == "flac" and sink.frames < declared:
        raise CorruptAudioError(f"FLAC is truncated: STREAMINFO declares {declared} frames, {sink.frames} were decoded")
    return sink.result(data, fmt, codec)
