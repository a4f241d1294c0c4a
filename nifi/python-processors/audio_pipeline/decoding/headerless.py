"""Headerless telephony formats, named by the file name's extension because their bytes carry no signature.

Telephone systems (Asterisk voicemail and recordings, IVR prompts) store raw codec data without any
header: GSM 06.10 frames, G.711 µ-law or A-law bytes, 16-bit linear PCM at 8 kHz. Nothing in such a
file says what it is, so sniffing cannot recognise it; the extension is the only description. It is
trusted only as a last resort: `sniffing` names one of these formats only when the leading bytes
match no audio signature *and* no known non-audio signature (executables, archives, text). The
bytes are then checked against what the format allows (whole frames, a non-empty body, GSM's
frame signature, the duration cap) and decoded by ffmpeg with the input format given explicitly:
there is no container for ffprobe to check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.ffmpeg_backend import decode_ffmpeg_raw
from audio_pipeline.decoding.options import DecodeOptions
from audio_pipeline.errors import CorruptAudioError, EmptyInputError, NotAudioError, TooLongError


@dataclass(frozen=True)
class HeaderlessFormat:
    """How to read one headerless format: ffmpeg's input format, the fixed rate and layout, the frame size."""

    label: str  # DecodedAudio.format
    ffmpeg_format: str  # ffmpeg `-f` input format
    codec: str  # DecodedAudio.codec (ffmpeg's codec name)
    rate: int
    channels: int
    frame_bytes: int  # bytes of one independently decodable unit
    frame_samples: int  # samples (per channel) that unit decodes to
    description: str


GSM = HeaderlessFormat("gsm", "gsm", "gsm", 8000, 1, 33, 160, "raw GSM 06.10 full rate (33-byte frames)")
MULAW = HeaderlessFormat("mulaw", "mulaw", "pcm_mulaw", 8000, 1, 1, 1, "raw G.711 µ-law")
ALAW = HeaderlessFormat("alaw", "alaw", "pcm_alaw", 8000, 1, 1, 1, "raw G.711 A-law")
SLN = HeaderlessFormat("sln", "s16le", "pcm_s16le", 8000, 1, 2, 1, "raw 16-bit signed little-endian PCM")

# File-name extension (lower case) -> format. Asterisk's names: .gsm, .ulaw, .alaw, .sln; .mu is Sun's µ-law.
BY_EXTENSION: dict[str, HeaderlessFormat] = {".gsm": GSM, ".ulaw": MULAW, ".mu": MULAW, ".alaw": ALAW, ".sln": SLN}
FORMATS: dict[str, HeaderlessFormat] = {f.label: f for f in BY_EXTENSION.values()}

_GSM_MAGIC = 0xD  # the high nibble of the first byte of every GSM 06.10 frame in its 33-byte packing


def format_for_filename(filename: str | None) -> str | None:
    """The headerless format label the extension of `filename` names (case-insensitive), or None."""
    if not filename:
        return None
    ext = os.path.splitext(os.path.basename(filename))[1].lower()
    found = BY_EXTENSION.get(ext)
    return found.label if found is not None else None


def check_headerless(data: bytes, fmt: str, max_duration_s: float) -> int:
    """Raise unless `data` is a plausible body of headerless `fmt` within the cap; returns its frame count."""
    spec = FORMATS[fmt]
    size = len(data)
    if size == 0:
        raise EmptyInputError(f"{spec.description} file is empty")
    if size % spec.frame_bytes:
        raise CorruptAudioError(
            f"{spec.description}: {size} bytes is not a whole number of {spec.frame_bytes}-byte frames "
            f"({size % spec.frame_bytes} bytes left over: truncated or not {fmt})"
        )
    if spec is GSM:
        for pos in range(0, size, spec.frame_bytes):
            if data[pos] >> 4 != _GSM_MAGIC:
                raise NotAudioError(
                    f"named as GSM 06.10, but the frame at byte {pos} lacks the GSM frame signature (0xD_)"
                )
    frames = size // spec.frame_bytes * spec.frame_samples
    if frames > max_duration_s * spec.rate:
        raise TooLongError(
            f"{spec.description} lasts {frames / spec.rate:.1f} s, longer than the maximum of {max_duration_s:g} s"
        )
    return frames


def decode_headerless(data: bytes, fmt: str, options: DecodeOptions) -> DecodedAudio:
    """Check `data` as headerless `fmt` (a label in `FORMATS`), then decode it through ffmpeg."""
    spec = FORMATS[fmt]
    frames = check_headerless(data, fmt, options.max_duration_s)
    return decode_ffmpeg_raw(
        data,
        fmt,
        ["-f", spec.ffmpeg_format, "-ar", str(spec.rate), "-ac", str(spec.channels)],
        spec.rate,
        spec.channels,
        spec.codec,
        frames,
        options,
    )
