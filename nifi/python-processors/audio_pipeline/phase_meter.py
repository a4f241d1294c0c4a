"""Phase correlation and mono compatibility of the audio as received.

Channels in antiphase (L = −R, a classic wiring or delivery fault) cancel in a mono downmix: the
file would sound silent on a mono radio and to a classifier fed the downmix. Two figures say so:

* correlation, −1…+1 as a correlation meter shows it: the normalised cross-correlation of the first
  two channels (front left and right in WAV, FLAC and Vorbis channel order), +1 for a mono file and
  0 when either channel carries no signal;
* downmix loss: how many dB the mono downmix (the mean of all channels) is below the mean power of
  the channels. Identical channels lose 0 dB, uncorrelated ones of equal level 3 dB, a correlation
  of −0.5 at equal level 6 dB, exact antiphase everything (capped at `MAX_LOSS_DB`).

A file is mono compatible when the downmix loses at most `MONO_LOSS_LIMIT_DB`: wide, decorrelated
stereo (reverb, spaced microphones) still is; material that is mostly out of phase is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MONO_LOSS_LIMIT_DB = 6.0
MAX_LOSS_DB = 120.0


@dataclass(frozen=True)
class Phase:
    correlation: float
    downmix_loss_db: float

    @property
    def mono_compatible(self) -> bool:
        return self.downmix_loss_db <= MONO_LOSS_LIMIT_DB


class PhaseMeter:
    """Accumulates the sums behind `Phase` over planar (channels, frames) float64 blocks."""

    def __init__(self, channels: int) -> None:
        self.channel_count = channels
        self.left_energy = 0.0
        self.right_energy = 0.0
        self.cross = 0.0
        self.channel_energy = 0.0  # all channels
        self.downmix_energy = 0.0

    def push(self, planar: np.ndarray) -> None:
        if self.channel_count == 1 or planar.shape[1] == 0:
            return
        left, right = planar[0], planar[1]
        self.left_energy += float(left @ left)
        self.right_energy += float(right @ right)
        self.cross += float(left @ right)
        self.channel_energy += sum(float(channel @ channel) for channel in planar)
        downmix = planar.mean(axis=0)
        self.downmix_energy += float(downmix @ downmix)

    def phase(self) -> Phase:
        if self.channel_count == 1:
            return Phase(1.0, 0.0)
        if self.left_energy > 0.0 and self.right_energy > 0.0:
            correlation = self.cross / math.sqrt(self.left_energy * self.right_energy)
        else:
            correlation = 0.0
        return Phase(max(-1.0, min(1.0, correlation)), self._downmix_loss_db())

    def _downmix_loss_db(self) -> float:
        mean_channel = self.channel_energy / self.channel_count
        if mean_channel <= 0.0:
            return 0.0  # nothing to lose
        if self.downmix_energy <= mean_channel * 10.0 ** (-MAX_LOSS_DB / 10.0):
            return MAX_LOSS_DB
        return max(0.0, 10.0 * math.log10(mean_channel / self.downmix_energy))
