"""Rate and channel bounds: what any audio header must declare to be processed."""

from __future__ import annotations

import pytest
from audio_pipeline.errors import InvalidHeaderError
from audio_pipeline.limits import MAX_CHANNELS, MAX_SAMPLE_RATE, check_channels, check_rate_channels


def test_bounds_are_inclusive() -> None:
    check_rate_channels(MAX_SAMPLE_RATE, MAX_CHANNELS, "x")
    check_rate_channels(1, 1, "x")
    check_channels(MAX_CHANNELS, "x")


@pytest.mark.parametrize(("rate", "channels"), [(0, 1), (MAX_SAMPLE_RATE + 1, 1), (8000, 0), (8000, MAX_CHANNELS + 1)])
def test_outside_the_bounds_is_an_invalid_header_naming_where(rate: int, channels: int) -> None:
    with pytest.raises(InvalidHeaderError, match=r"^WAV header declares"):
        check_rate_channels(rate, channels, "WAV header")
