"""Loudness of the audio as received, per ITU-R BS.1770-4 and EBU R 128, measured while it streams by.

What is measured, on every channel at the original rate before the downmix and resampling:

* integrated loudness (LUFS), gated as BS.1770-4 says: 400 ms blocks overlapping by 75 %, an
  absolute gate at −70 LUFS and a relative gate 10 LU below the loudness of the blocks above it;
* loudness range (LU) per EBU Tech 3342: short-term (3 s) loudness every 100 ms, gated at −70 LUFS
  and 20 LU below their loudness, the spread between the 10th and the 95th percentile;
* the maximum momentary (400 ms) and maximum short-term (3 s) loudness, read every 100 ms of audio
  (Tech 3341 asks for at least 10 readings a second); a window that reaches back before the start of
  the file counts the missing part as silence, as the meter of a player that starts with the file;
* true peak (dBTP) per channel and overall, oversampled as in BS.1770-4 Annex 2 (4× below 96 kHz,
  2× below 192 kHz, none from there up), never below the sample peak (`true_peak`).

The library is libebur128 through its binding pyebur128 (0.1.1, pinned in requirements/processors.txt).
It was compared with pyloudnorm 0.2.0 on this machine (a busy 2-core box; figures vary by ±30 %):

* accuracy: on 1 kHz stereo sines at −23/−33 dBFS libebur128 reads −22.99/−32.99 LUFS, pyloudnorm
  −23.03/−33.03; on Tech 3341 case 3 −23.01 against −23.06; both pass Tech 3341's ±0.1 LU. pyloudnorm
  measures neither loudness range, momentary/short-term maxima nor true peak, which R 128 needs;
* speed, 60 s of 48 kHz stereo noise: libebur128 integrated + range 0.08–0.12 s, its true peak
  another 0.3–0.5 s (see below); pyloudnorm integrated only 0.22 s (it needs scipy as well);
* memory: libebur128 streams (`add_frames`), keeping a few bytes per 100 ms block (about 1 MB for an
  hour); pyloudnorm needs the whole file as one float64 array: 1.2 GB for 1 h of 48 kHz 5.1.

So libebur128: streaming, bounded memory, true peak included, and the reference implementation that
ffmpeg's and most other meters agree with.

True peak is not the library's: its interpolation of every sample cost about four times the rest of
decoding. `true_peak` evaluates the same interpolation (values equal to libebur128's, tested) only
where it can raise the maximum, for a fraction of the cost.

Channel weighting (BS.1770-4 Table 3, libebur128's channel types) by channel count, in the WAVE
(WAVE_FORMAT_EXTENSIBLE default masks) and FLAC default orders, which ffmpeg also assumes:

* 1: mono, the one channel at weight 1.0 (not counted twice as "dual mono");
* 2: L R; 3: L R C; 4: L R Ls Rs (quad, back pair +1.5 dB); 5: L R C Ls Rs;
* 6: L R C LFE Ls Rs (5.1): the LFE is not measured, the surrounds weigh +1.5 dB (×1.41);
* 7: L R C LFE Cs Ls Rs (6.1): the back centre (180°) weighs 1.0, the side pair (±90°) +1.5 dB;
* 8: L R C LFE Lrs Rrs Lss Rss (7.1): the back pair (±135°) weighs 1.0, the side pair +1.5 dB;
* 9 and more: no default layout exists; every channel is measured at weight 1.0.

True peak is per channel for every channel, the LFE included (it clips like the others).

Files where nothing can be gated: integrated loudness is undefined for digital silence, for audio
below the absolute gate throughout and for files shorter than one 400 ms block (libebur128 returns
−inf). FlowFile attributes, the results table and Prometheus have no portable −inf, so every
loudness value is reported at −70.0 LUFS at the least (`FLOOR_LUFS`, the absolute gate: "at or below
the gate"), `measured` is False, the file is not compliant with any profile and its gain is left empty
(no gain brings silence to a target). The loudness range of a file with fewer than two gated
short-term readings (shorter than 3 s, or steady) is 0 LU. True peak of silence is −120 dBTP, the
level floor of `levels`.
"""

from __future__ import annotations

import collections
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pyebur128 as ebur128

from audio_pipeline import attributes as attr
from audio_pipeline.levels import to_dbfs
from audio_pipeline.true_peak import TruePeakMeter

FLOOR_LUFS = -70.0  # reported for loudness that cannot be measured or is below the absolute gate
_MOMENTARY_HOPS, _SHORT_TERM_HOPS = 4, 30  # 400 ms and 3 s in hops

_C = ebur128.ChannelType
_LAYOUTS: dict[int, tuple[int, ...]] = {
    1: (_C.LEFT,),
    2: (_C.LEFT, _C.RIGHT),
    3: (_C.LEFT, _C.RIGHT, _C.CENTER),
    4: (_C.LEFT, _C.RIGHT, _C.LEFT_SURROUND, _C.RIGHT_SURROUND),
    5: (_C.LEFT, _C.RIGHT, _C.CENTER, _C.LEFT_SURROUND, _C.RIGHT_SURROUND),
    6: (_C.LEFT, _C.RIGHT, _C.CENTER, _C.UNUSED, _C.LEFT_SURROUND, _C.RIGHT_SURROUND),
    7: (_C.LEFT, _C.RIGHT, _C.CENTER, _C.UNUSED, _C.M_PLUS_180, _C.M_PLUS_090, _C.M_MINUS_090),
    8: (_C.LEFT, _C.RIGHT, _C.CENTER, _C.UNUSED, _C.M_PLUS_135, _C.M_MINUS_135, _C.M_PLUS_090, _C.M_MINUS_090),
}
_LOUDNESS_MODE = ebur128.MeasurementMode.MODE_I | ebur128.MeasurementMode.MODE_LRA


def channel_layout(channels: int) -> tuple[int, ...]:
    """libebur128 channel types for `channels` channels (see the module docstring)."""
    return _LAYOUTS.get(channels, (_C.CENTER,) * channels)


@dataclass(frozen=True)
class Loudness:
    """What `LoudnessMeter` found; the loudness values are at least FLOOR_LUFS (see the module docstring)."""

    integrated_lufs: float
    range_lu: float
    momentary_max_lufs: float
    short_term_max_lufs: float
    true_peak_dbtp: float
    channel_true_peaks_dbtp: tuple[float, ...]
    measured: bool  # False when no 400 ms block passed the gates: silence, or shorter than 400 ms

    def to_attributes(self) -> dict[str, str]:
        found = {
            attr.LOUDNESS_INTEGRATED_LUFS: f"{self.integrated_lufs:.2f}",
            attr.LOUDNESS_RANGE_LU: f"{self.range_lu:.2f}",
            attr.LOUDNESS_MOMENTARY_MAX_LUFS: f"{self.momentary_max_lufs:.2f}",
            attr.LOUDNESS_SHORT_TERM_MAX_LUFS: f"{self.short_term_max_lufs:.2f}",
            attr.LOUDNESS_TRUE_PEAK_DBTP: f"{self.true_peak_dbtp:.2f}",
        }
        for number, peak in enumerate(self.channel_true_peaks_dbtp, start=1):
            found[attr.channel_true_peak_dbtp(number)] = f"{peak:.2f}"
        return found


def _energy(lufs: float) -> float:
    """Mean square of the weighted channels behind a loudness value (BS.1770: L = −0.691 + 10·log10 E)."""
    return 10.0 ** ((lufs + 0.691) / 10.0) if math.isfinite(lufs) else 0.0


def _loudness(energy: float) -> float:
    return -0.691 + 10.0 * math.log10(energy) if energy > 0.0 else -math.inf


def _lufs(value: float) -> float:
    return max(value, FLOOR_LUFS) if math.isfinite(value) else FLOOR_LUFS


class LoudnessMeter:
    """Loudness over planar (channels, frames) float64 blocks of any size; `loudness()` reads it once.

    The audio is cut into 100 ms hops counted from the start of the file whatever the block sizes,
    so that how the decoder splits a file changes nothing.
    """

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.hop = max(1, (rate + 5) // 10)  # libebur128's own 100 ms
        self._state = ebur128.R128State(channels, rate, _LOUDNESS_MODE)
        for index, kind in enumerate(channel_layout(channels)):
            self._state.set_channel(index, kind)
        self._true_peak = TruePeakMeter(rate, channels)
        self._pending = np.empty((self.hop, channels))
        self._filled = 0
        self._momentary_max = -math.inf
        self._short_term_max = -math.inf
        self._hop_energy: collections.deque[float] = collections.deque(maxlen=_SHORT_TERM_HOPS)
        self._result: Loudness | None = None

    def push(self, planar: np.ndarray) -> None:
        n = planar.shape[1]
        if n == 0:
            return
        self._true_peak.push(planar)
        frames = np.ascontiguousarray(planar.T)  # libebur128 takes interleaved frames
        start = 0
        if self._filled:
            take = min(self.hop - self._filled, n)
            self._pending[self._filled : self._filled + take] = frames[:take]
            self._filled += take
            start = take
            if self._filled == self.hop:
                self._add_hop(self._pending)
                self._filled = 0
        while n - start >= self.hop:
            self._add_hop(frames[start : start + self.hop])
            start += self.hop
        if start < n:
            self._pending[: n - start] = frames[start:]
            self._filled = n - start

    def _add_hop(self, hop: np.ndarray) -> None:
        count = hop.shape[0]
        self._state.add_frames(hop.reshape(-1), count)
        # The hop's own weighted energy: a 100 ms window costs a thirtieth of libebur128's 3 s
        # short-term query, and the momentary and short-term values are sums of these.
        mean = _energy(ebur128.get_loudness_window(self._state, max(1, round(count * 1000 / self.rate))))
        self._hop_energy.append(mean * count)
        momentary = sum(itertools.islice(reversed(self._hop_energy), _MOMENTARY_HOPS)) / (0.4 * self.rate)
        short_term = sum(self._hop_energy) / (3.0 * self.rate)
        self._momentary_max = max(self._momentary_max, _loudness(momentary))
        self._short_term_max = max(self._short_term_max, _loudness(short_term))

    def loudness(self) -> Loudness:
        """The measurement of everything pushed; the meter takes no more blocks after it."""
        if self._result is None:
            if self._filled:  # the last, shorter hop
                self._add_hop(self._pending[: self._filled].copy())
                self._filled = 0
            integrated = ebur128.get_loudness_global(self._state)
            loudness_range = ebur128.get_loudness_range(self._state)
            peaks = tuple(to_dbfs(float(peak)) for peak in self._true_peak.peaks)
            self._result = Loudness(
                integrated_lufs=_lufs(integrated),
                range_lu=loudness_range if math.isfinite(loudness_range) else 0.0,
                momentary_max_lufs=_lufs(self._momentary_max),
                short_term_max_lufs=_lufs(self._short_term_max),
                true_peak_dbtp=max(peaks, default=to_dbfs(0.0)),
                channel_true_peaks_dbtp=peaks,
                measured=math.isfinite(integrated),
            )
        return self._result
