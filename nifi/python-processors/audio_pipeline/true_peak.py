"""True peak (ITU-R BS.1770-4 Annex 2) per channel: the largest magnitude of the signal oversampled
4× below 96 kHz, 2× below 192 kHz, not at all from there up.

The interpolation is libebur128's own (a 49-tap Hann-windowed sinc, one polyphase branch per
output phase), so the values equal the library's `MODE_TRUE_PEAK` (the tests compare them). It is
not the library's code path because that one interpolates every sample: 4× the samples through a
49-tap filter cost about four times the rest of decoding. A full interpolation is not needed for
the maximum: an interpolated sample is a weighted sum of the 13 input samples before it, so it is at
most `bound` (the largest sum of absolute weights of a phase, 1.86 at 4×) times the largest of them.
Only outputs whose 13 inputs include a sample of at least (the peak so far) / `bound` can raise the
peak; those (a few percent of most programmes) are evaluated, exactly, and nothing else. Where they
are many (a steady tone, a limited master), all outputs are computed, as the library does.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

TAPS = 49
_SLICE = 1 << 15  # outputs evaluated per matrix product: bounds the gathered windows' memory
_DENSE = 8  # above 1 candidate output in this many, computing them all is cheaper than gathering


def oversampling(rate: int) -> int:
    """The oversampling factor BS.1770-4 needs at `rate` (as libebur128 chooses it)."""
    return 4 if rate < 96000 else 2 if rate < 192000 else 1


def phase_filters(factor: int) -> np.ndarray:
    """(factor − 1, window) weights of the interpolated phases, newest input sample last; phase 0 is
    the input sample itself and is left out."""
    m = np.arange(TAPS) - (TAPS - 1) / 2
    x = m * np.pi / factor
    taps = np.where(m == 0, 1.0, np.sin(x) / np.where(m == 0, 1.0, x))
    taps *= 0.5 * (1 - np.cos(2 * np.pi * np.arange(TAPS) / (TAPS - 1)))
    window = -(-TAPS // factor)
    phases = np.zeros((factor - 1, window))
    for phase in range(1, factor):
        branch = taps[phase::factor]
        phases[phase - 1, window - branch.size :] = branch[::-1]  # oldest input first
    return phases


class TruePeakMeter:
    """Per-channel true peak over planar (channels, frames) float64 blocks of any size."""

    def __init__(self, rate: int, channels: int) -> None:
        self.factor = oversampling(rate)
        self.peaks = np.zeros(channels)
        self._phases = phase_filters(self.factor) if self.factor > 1 else np.zeros((0, 1))
        self._window = self._phases.shape[1]
        self.bound = float(np.abs(self._phases).sum(axis=1).max()) if self.factor > 1 else 1.0
        self._history = np.zeros((channels, self._window - 1))  # the inputs before this block (zeros at the start)

    def push(self, planar: np.ndarray) -> None:
        if planar.shape[1] == 0:
            return
        np.maximum(self.peaks, np.abs(planar).max(axis=1), out=self.peaks)
        if self.factor == 1:
            return
        extended = np.concatenate([self._history, planar], axis=1)
        for channel, signal in enumerate(extended):
            self.peaks[channel] = max(self.peaks[channel], self._interpolated_peak(signal, self.peaks[channel]))
        self._history = extended[:, extended.shape[1] - (self._window - 1) :]

    def _interpolated_peak(self, signal: np.ndarray, peak: float) -> float:
        """The largest interpolated magnitude among the outputs of `signal` (history + block) that could
        exceed `peak`; 0 when none can. Where most outputs could (a steady tone, limited masters), every
        output is computed, as the library would."""
        if peak <= 0.0:
            return 0.0
        window = self._window
        big = np.concatenate([[0], np.cumsum(np.abs(signal) >= peak / self.bound)])
        # Output n (for n ≥ window − 1) reads inputs n − window + 1 … n: a candidate when any is big.
        ends = np.flatnonzero(big[window:] - big[:-window]) + window - 1
        if ends.size > signal.size // _DENSE:
            every = sliding_window_view(signal, window)  # row r: the inputs of output r + window − 1
            return max(
                float(np.abs(every[start : start + _SLICE] @ self._phases.T).max())
                for start in range(0, every.shape[0], _SLICE)
            )
        found = 0.0
        for start in range(0, ends.size, _SLICE):
            chunk = ends[start : start + _SLICE]
            windows = signal[chunk[:, None] - np.arange(window - 1, -1, -1)]
            found = max(found, float(np.abs(windows @ self._phases.T).max()))
        return found
