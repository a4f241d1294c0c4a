"""The long-term spectrum of the audio as received: its bandwidth, and whether it is one or a few tones.

Bandwidth (`audio.bandwidth.hz`) shows band-limited or upsampled material: an MP3 low-passed at
16 kHz, a telephone call resampled to 48 kHz (about 3.4 kHz), a pilot tone above everything else.
It is the highest frequency whose averaged power is within `RELATIVE_FLOOR_DB` of the strongest
frequency and above `ABSOLUTE_FLOOR_DBFS` (so 16-bit dither in a silent file is not "content").

The spectrum is the mean power of Kaiser-windowed (β = `KAISER_BETA`: side lobes below −110 dB, so
a loud tone does not smear past the relative floor) `SEGMENT_FRAMES`-frame segments, summed over the
channels. To bound the cost on long files, one segment in every `SEGMENT_STRIDE` is analysed (evenly
spread, a quarter of the signal); sustained content is seen, a single click may not be.

Tonal share: the fraction of the power within a few bins of the `TONAL_PEAKS` strongest peaks. It
tells a tone (share near 1) from noise spread over the band when the model cannot hear either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEGMENT_FRAMES = 2048
SEGMENT_STRIDE = 4
RELATIVE_FLOOR_DB = 60.0
ABSOLUTE_FLOOR_DBFS = -100.0  # per bin, where a full-scale sine's peak bin reads −3 dBFS
TONAL_PEAKS = 3
KAISER_BETA = 14.0
_PEAK_HALF_WIDTH = 5  # bins each side: the window's main lobe


@dataclass(frozen=True)
class Spectrum:
    bandwidth_hz: float
    tonal_share: float  # 0…1; 0 when there is no content


class SpectrumMeter:
    """Accumulates the long-term power spectrum over planar (channels, frames) float64 blocks."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.window = np.kaiser(SEGMENT_FRAMES, KAISER_BETA)
        self.power = np.zeros(SEGMENT_FRAMES // 2 + 1)
        self.segments = 0
        self._pending = np.zeros((channels, SEGMENT_FRAMES))
        self._filled = 0
        self._skip = 0

    def push(self, planar: np.ndarray) -> None:
        pos, n = 0, planar.shape[1]
        picked = []
        while pos < n:
            if self._skip:
                step = min(self._skip, n - pos)
                self._skip -= step
                pos += step
                continue
            if self._filled == 0 and n - pos >= SEGMENT_FRAMES:
                picked.append(planar[:, pos : pos + SEGMENT_FRAMES])
                pos += SEGMENT_FRAMES
            else:
                take = min(SEGMENT_FRAMES - self._filled, n - pos)
                self._pending[:, self._filled : self._filled + take] = planar[:, pos : pos + take]
                self._filled += take
                pos += take
                if self._filled < SEGMENT_FRAMES:
                    break
                picked.append(self._pending.copy())
                self._filled = 0
            self._skip = (SEGMENT_STRIDE - 1) * SEGMENT_FRAMES
        if picked:
            self._add(np.stack(picked))

    def _add(self, segments: np.ndarray, window: np.ndarray | None = None) -> None:
        """segments: (count, channels, frames ≤ SEGMENT_FRAMES), zero-padded to SEGMENT_FRAMES."""
        window = self.window if window is None else window
        spectra = np.fft.rfft(segments * window, n=SEGMENT_FRAMES, axis=2)
        # A sine of amplitude A puts A²/2 into its peak bin after this scaling (one-sided spectrum).
        scale = 2.0 / float(window.sum()) ** 2
        self.power += (spectra.real**2 + spectra.imag**2).sum(axis=(0, 1)) * scale
        self.segments += segments.shape[0]

    def spectrum(self) -> Spectrum:
        if self.segments == 0 and self._filled > 1:  # shorter than one segment: window what there is
            self._add(self._pending[None, :, : self._filled], np.kaiser(self._filled, KAISER_BETA))
        if self.segments == 0:
            return Spectrum(0.0, 0.0)
        power = self.power / self.segments
        strongest = float(power.max())
        floor = max(strongest * 10.0 ** (-RELATIVE_FLOOR_DB / 10.0), 10.0 ** (ABSOLUTE_FLOOR_DBFS / 10.0))
        meaningful = np.flatnonzero(power >= floor)
        if strongest <= 0.0 or meaningful.size == 0:
            return Spectrum(0.0, 0.0)
        bandwidth = float(meaningful[-1]) * self.rate / SEGMENT_FRAMES
        return Spectrum(min(bandwidth, self.rate / 2.0), _tonal_share(power))


def _tonal_share(power: np.ndarray) -> float:
    rest = power.copy()
    total = float(rest.sum())
    near_peaks = 0.0
    for _ in range(TONAL_PEAKS):
        k = int(rest.argmax())
        lobe = slice(max(0, k - _PEAK_HALF_WIDTH), k + _PEAK_HALF_WIDTH + 1)
        near_peaks += float(rest[lobe].sum())
        rest[lobe] = 0.0
    return near_peaks / total if total > 0.0 else 0.0
