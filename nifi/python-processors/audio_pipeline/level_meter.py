"""Peak, RMS, silence and clipping of the audio as received: every channel, at its own rate.

Measuring the analysis form (16 kHz mono) would hide what a listener hears: content above its
8 kHz band vanishes, and a downmix can cancel channels in antiphase. So the decoder feeds every
block at the original rate and channel count through this meter before anything is resampled.
The conventions (dBFS, −120 dBFS floor, 20 ms silence frames below −60 dBFS, clipping at 0.999)
are those of `levels`; a frame is silent only when every channel is, so the loudest channel counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio_pipeline.levels import (
    CLIP_THRESHOLD,
    FLOOR_DBFS,
    SILENCE_FRAME_S,
    SILENCE_THRESHOLD_DBFS,
    Levels,
    power_to_dbfs,
    to_dbfs,
)


@dataclass(frozen=True)
class ChannelLevels:
    """One channel's peak and RMS in dBFS."""

    peak_dbfs: float
    rms_dbfs: float


class LevelMeter:
    """Accumulates levels over planar (channels, frames) float64 blocks; `levels()` and `channels()` read them."""

    def __init__(
        self,
        rate: int,
        channels: int,
        *,
        silence_threshold_dbfs: float = SILENCE_THRESHOLD_DBFS,
        frame_s: float = SILENCE_FRAME_S,
    ) -> None:
        self.frame = max(1, round(frame_s * rate))
        self.channel_count = channels
        self.silence_power = 10.0 ** (silence_threshold_dbfs / 10.0)
        self.frames = 0
        self.peak = np.zeros(channels)
        self.energy = np.zeros(channels)
        self.clipped = 0
        self.silent_frames = 0
        self.counted_frames = 0
        self._partial = np.zeros(channels)  # per-channel energy of the silence frame being filled
        self._partial_frames = 0

    def push(self, planar: np.ndarray) -> None:
        n = planar.shape[1]
        if n == 0:
            return
        self.frames += n
        magnitude = np.abs(planar)
        np.maximum(self.peak, magnitude.max(axis=1), out=self.peak)
        self.clipped += int(np.count_nonzero(magnitude >= CLIP_THRESHOLD))
        squares = np.square(planar, out=magnitude)
        self.energy += squares.sum(axis=1)
        start = 0
        if self._partial_frames:  # finish the frame the previous block began
            take = min(self.frame - self._partial_frames, n)
            self._partial += squares[:, :take].sum(axis=1)
            self._partial_frames += take
            start = take
            if self._partial_frames == self.frame:
                self._close_partial()
        whole = (n - start) // self.frame
        if whole:
            span = squares[:, start : start + whole * self.frame]
            loudest = span.reshape(self.channel_count, whole, self.frame).sum(axis=2).max(axis=0) / self.frame
            self.silent_frames += int(np.count_nonzero(loudest < self.silence_power))
            self.counted_frames += whole
            start += whole * self.frame
        if start < n:
            self._partial += squares[:, start:].sum(axis=1)
            self._partial_frames += n - start

    def _close_partial(self) -> None:
        loudest = float(self._partial.max()) / self._partial_frames
        self.silent_frames += int(loudest < self.silence_power)
        self.counted_frames += 1
        self._partial[:] = 0.0
        self._partial_frames = 0

    def levels(self) -> Levels:
        """Overall levels: the loudest channel's peak, the RMS over all samples of all channels."""
        if self._partial_frames:  # a trailing partial frame counts as a frame
            self._close_partial()
        if self.frames == 0:
            return Levels(FLOOR_DBFS, FLOOR_DBFS, 1.0, 0.0)
        samples = self.frames * self.channel_count
        return Levels(
            peak_dbfs=to_dbfs(float(self.peak.max())),
            rms_dbfs=power_to_dbfs(float(self.energy.sum()) / samples),
            silence_ratio=self.silent_frames / self.counted_frames,
            clipping_ratio=self.clipped / samples,
        )

    def channels(self) -> tuple[ChannelLevels, ...]:
        """Each channel's peak and RMS, in channel order."""
        frames = max(self.frames, 1)
        return tuple(
            ChannelLevels(to_dbfs(float(peak)), power_to_dbfs(float(energy) / frames))
            for peak, energy in zip(self.peak, self.energy, strict=True)
        )
