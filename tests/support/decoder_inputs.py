"""Inputs and checks shared by the decoder's tests: a hand-built WAV header, the rejection code of an input."""

from __future__ import annotations

import struct

import pytest
from audio_pipeline.decoding import decode
from audio_pipeline.errors import AudioPipelineError

TONE_S = 5.0  # long enough that ADTS priming/padding (≈ 2 AAC frames) stays under 1 %
TONE_HZ = 440.0


def wav_header(rate: int, channels: int, *, bits: int = 16, frames: int = 100, tag: int = 1) -> bytes:
    """A PCM WAV with a 16-byte fmt chunk and `frames` frames of silence; any (absurd) values allowed."""
    block = max(1, channels * bits // 8)
    data = b"\x00" * (frames * block)
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def decode_error_code(data: bytes, **kwargs: object) -> str:
    """The reason code `decode` refuses `data` with (fails the test if it decodes)."""
    with pytest.raises(AudioPipelineError) as info:
        decode(data, **kwargs)  # type: ignore[arg-type]
    assert str(info.value), "every rejection carries a human-readable detail"
    return info.value.code
