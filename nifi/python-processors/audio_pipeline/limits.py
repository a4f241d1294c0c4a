"""The bounds on sample rate and channel count that any audio must stay within to be processed.

One place, because a header is judged against them by the decoder's container checks, its back
ends and the analysis-form reader alike; anything outside is an absurd (or hostile) header, not audio.
"""

from __future__ import annotations

from audio_pipeline.errors import InvalidHeaderError

MAX_SAMPLE_RATE = 384_000
MAX_CHANNELS = 64


def check_channels(channels: int, where: str) -> None:
    """Raise `InvalidHeaderError` naming `where` unless 1..MAX_CHANNELS channels."""
    if channels <= 0 or channels > MAX_CHANNELS:
        raise InvalidHeaderError(f"{where} declares {channels} channels (allowed 1..{MAX_CHANNELS})")


def check_rate_channels(rate: int, channels: int, where: str) -> None:
    """Raise `InvalidHeaderError` naming `where` unless 1..MAX_CHANNELS channels at 1..MAX_SAMPLE_RATE Hz."""
    check_channels(channels, where)
    if rate <= 0 or rate > MAX_SAMPLE_RATE:
        raise InvalidHeaderError(f"{where} declares a sample rate of {rate} Hz (allowed 1..{MAX_SAMPLE_RATE})")
