"""The EBU conformance cases for loudness meters that can be made from their published definitions.

EBU Tech 3341 (loudness metering, "EBU Mode") and Tech 3342 (loudness range) each give a table of
test signals with the reading a meter must show. The EBU ships them as WAV files; the cases below are
synthesised from the tables' descriptions instead (1 kHz sines at stated levels and durations, sines at
a fraction of the sample rate with a stated phase), so the tests and `scripts/loudness-conformance`
need no download. A level in dBFS is the sine's peak; a stereo 1 kHz sine at −23 dBFS reads −23 LUFS.

Left out, and why:

* Tech 3341 cases 7 and 8 and Tech 3342 cases 5 and 6: recordings of authentic programme, not
  definable from the text.
* Tech 3341 cases 11 to 14: their exact tone-burst sequences are given by the files, not by the text;
  case 10 is kept in a form the text does define (a 3 s burst, here 50 ms off the 100 ms reading grid).
* Tech 3341 cases 20 to 23: inter-sample peak signals whose sample values only the files give.

The true-peak sines (cases 15 to 19) fade in and out over 10 ms: a sine switched on at full level is a
step whose ringing is a real inter-sample peak above the tone's, up to 0.6 dB at 6 kHz, which is not
what those cases describe (a steady sine at a phase offset).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audio_pipeline.loudness_meter import Loudness, LoudnessMeter

RATE = 48000
BLOCK_FRAMES = 1 << 16


@dataclass(frozen=True)
class Case:
    name: str  # "3341-1": the document and its case number
    description: str
    quantity: str  # the attribute of `Loudness` read
    expected: float
    below: float  # the reading may be this much below `expected`
    above: float  # and this much above
    signal: Callable[[], tuple[np.ndarray, int]]  # planar (channels, frames) float64, and the rate

    @property
    def tolerance(self) -> str:
        return f"±{self.above:g}" if self.above == self.below else f"+{self.above:g}/−{self.below:g}"

    def passes(self, measured: float) -> bool:
        return self.expected - self.below - 1e-9 <= measured <= self.expected + self.above + 1e-9


@dataclass(frozen=True)
class Outcome:
    case: Case
    measured: float

    @property
    def passed(self) -> bool:
        return self.case.passes(self.measured)


def tone_sequence(segments: Sequence[tuple[float, float]], *, channels: int = 2, rate: int = RATE) -> np.ndarray:
    """A continuous 1 kHz sine through (level dBFS, seconds) segments, the same on every channel."""
    lengths = [round(seconds * rate) for _, seconds in segments]
    gain = np.concatenate([np.full(n, 10 ** (level / 20)) for (level, _), n in zip(segments, lengths, strict=True)])
    tone = gain * np.sin(2 * np.pi * 1000 * np.arange(gain.size) / rate)
    return np.tile(tone, (channels, 1))


def channel_tones(levels_dbfs: Sequence[float | None], seconds: float, rate: int = RATE) -> np.ndarray:
    """A 1 kHz sine per channel at its own level (None: a silent channel)."""
    tone = np.sin(2 * np.pi * 1000 * np.arange(round(seconds * rate)) / rate)
    return np.stack([tone * (0.0 if level is None else 10 ** (level / 20)) for level in levels_dbfs])


def peak_tone(fraction: float, amplitude: float, phase_deg: float, *, seconds: float = 1.0, rate: int = RATE):
    """Stereo sine at `fraction` of the sample rate, peak `amplitude`, starting phase `phase_deg`, faded
    in and out over 10 ms (see the module docstring)."""
    n = np.arange(round(seconds * rate))
    tone = amplitude * np.sin(2 * np.pi * fraction * n + np.deg2rad(phase_deg))
    fade = round(0.01 * rate)
    ramp = np.minimum(1.0, np.minimum(n, n[::-1]) / fade)
    return np.tile(tone * ramp, (2, 1))


def _seq(*segments: tuple[float, float]) -> Callable[[], tuple[np.ndarray, int]]:
    return lambda: (tone_sequence(segments), RATE)


def _burst(level: float, start: float, length: float, total: float) -> Callable[[], tuple[np.ndarray, int]]:
    return _seq((-200.0, start), (level, length), (-200.0, total - start - length))


def _peak(fraction: float, amplitude: float, phase: float) -> Callable[[], tuple[np.ndarray, int]]:
    return lambda: (peak_tone(fraction, amplitude, phase), RATE)


_LU = (0.1, 0.1)
_TP = (0.4, 0.2)
_LRA = (1.0, 1.0)
CASES: tuple[Case, ...] = (
    Case("3341-1", "stereo 1 kHz −23 dBFS, 20 s", "integrated_lufs", -23.0, *_LU, _seq((-23, 20))),
    Case("3341-1 M", "as 1: maximum momentary", "momentary_max_lufs", -23.0, *_LU, _seq((-23, 20))),
    Case("3341-1 S", "as 1: maximum short-term", "short_term_max_lufs", -23.0, *_LU, _seq((-23, 20))),
    Case("3341-2", "stereo 1 kHz −33 dBFS, 20 s", "integrated_lufs", -33.0, *_LU, _seq((-33, 20))),
    Case(
        "3341-3", "−36/−23/−36 dBFS, 10/60/10 s", "integrated_lufs", -23.0, *_LU, _seq((-36, 10), (-23, 60), (-36, 10))
    ),
    Case(
        "3341-4",
        "−72/−36/−23/−36/−72 dBFS, 10/10/60/10/10 s",
        "integrated_lufs",
        -23.0,
        *_LU,
        _seq((-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)),
    ),
    Case(
        "3341-5",
        "−26/−20/−26 dBFS, 20/20.1/20 s",
        "integrated_lufs",
        -23.0,
        *_LU,
        _seq((-26, 20), (-20, 20.1), (-26, 20)),
    ),
    Case(
        "3341-6",
        "5.0: L R −28, C −24, Ls Rs −30 dBFS, 20 s",
        "integrated_lufs",
        -23.0,
        *_LU,
        lambda: (channel_tones([-28, -28, -24, -30, -30], 20), RATE),
    ),
    Case(
        "3341-6 5.1",
        "as 6 as 5.1 (L R C LFE Ls Rs), LFE silent",
        "integrated_lufs",
        -23.0,
        *_LU,
        lambda: (channel_tones([-28, -28, -24, None, -30, -30], 20), RATE),
    ),
    Case(
        "3341-9",
        "1.34 s −20 / 1.66 s −30 dBFS × 5: maximum short-term",
        "short_term_max_lufs",
        -23.0,
        *_LU,
        _seq(*[(-20, 1.34), (-30, 1.66)] * 5),
    ),
    Case(
        "3341-10",
        "3 s burst at −23 dBFS from 1.05 s: maximum short-term",
        "short_term_max_lufs",
        -23.0,
        *_LU,
        _burst(-23, 1.05, 3, 6),
    ),
    Case("3341-15", "48 kHz, fs/4, 0.50, 0°", "true_peak_dbtp", -6.0, *_TP, _peak(1 / 4, 0.5, 0)),
    Case("3341-16", "48 kHz, fs/4, 0.50, 45°", "true_peak_dbtp", -6.0, *_TP, _peak(1 / 4, 0.5, 45)),
    Case("3341-17", "48 kHz, fs/6, 0.50, 60°", "true_peak_dbtp", -6.0, *_TP, _peak(1 / 6, 0.5, 60)),
    Case("3341-18", "48 kHz, fs/8, 0.50, 67.5°", "true_peak_dbtp", -6.0, *_TP, _peak(1 / 8, 0.5, 67.5)),
    Case("3341-19", "48 kHz, fs/4, 1.41, 45°", "true_peak_dbtp", 3.0, *_TP, _peak(1 / 4, 1.41, 45)),
    Case("3342-1", "−20/−30 dBFS, 20 s each", "range_lu", 10.0, *_LRA, _seq((-20, 20), (-30, 20))),
    Case("3342-2", "−20/−15 dBFS, 20 s each", "range_lu", 5.0, *_LRA, _seq((-20, 20), (-15, 20))),
    Case("3342-3", "−40/−20 dBFS, 20 s each", "range_lu", 20.0, *_LRA, _seq((-40, 20), (-20, 20))),
    Case(
        "3342-4",
        "−50/−35/−20/−35/−50 dBFS, 20 s each",
        "range_lu",
        15.0,
        *_LRA,
        _seq((-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)),
    ),
)


def measure(planar: np.ndarray, rate: int) -> Loudness:
    """`LoudnessMeter` over `planar` pushed in decoder-sized blocks."""
    meter = LoudnessMeter(rate, planar.shape[0])
    for start in range(0, planar.shape[1], BLOCK_FRAMES):
        meter.push(np.ascontiguousarray(planar[:, start : start + BLOCK_FRAMES]))
    return meter.loudness()


def run(cases: Sequence[Case] = CASES) -> list[Outcome]:
    """Each case measured (cases sharing a signal share the measurement)."""
    outcomes = []
    measured: dict[Callable[[], tuple[np.ndarray, int]], Loudness] = {}
    for case in cases:
        if case.signal not in measured:
            measured[case.signal] = measure(*case.signal())
        outcomes.append(Outcome(case, float(getattr(measured[case.signal], case.quantity))))
    return outcomes


UNITS = {"range_lu": "LU", "true_peak_dbtp": "dBTP"}


def table(outcomes: Sequence[Outcome]) -> str:
    """The outcomes as a plain-text table: case, signal, expected, measured, tolerance, pass."""
    header = ("case", "signal", "expected", "measured", "tolerance", "pass")
    rows = [
        (
            o.case.name,
            o.case.description,
            f"{o.case.expected:.1f} {UNITS.get(o.case.quantity, 'LUFS')}",
            f"{o.measured:.2f}",
            o.case.tolerance,
            "pass" if o.passed else "FAIL",
        )
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    passed = sum(o.passed for o in outcomes)
    return "\n".join([*lines, f"{passed} of {len(outcomes)} cases pass"])
