"""How one decode runs, handed unchanged from `decoding.decode` through the back ends to `MonoSink`."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DecodeOptions:
    """The analysis form asked for and the bounds on the work of making it."""

    target_rate: int | None  # of the analysis form; None keeps the original rate
    max_duration_s: float  # longer input is refused (TooLongError)
    timeout_s: float = 600.0  # per ffprobe/ffmpeg run
    tmp_dir: str | os.PathLike[str] | None = None  # where the ffmpeg path spills the input
    channel: int | None = None  # 0-based channel the analysis form is made from; None: the downmix

    def max_frames(self, rate: int) -> int:
        """The duration cap in frames at `rate`."""
        return int(self.max_duration_s * rate)

    def out_rate(self, rate: int) -> int:
        """The analysis form's rate for input at `rate`."""
        return self.target_rate or rate
