"""Signal levels of the analysis form: peak, RMS, silence and clipping, as FlowFile attribute values.

Conventions (chosen so the numbers are comparable across files and stable on edge cases):

* dBFS is ``20·log10(|x|)`` for the peak and ``10·log10(mean(x²))`` for the RMS, with full scale 1.0.
  A full-scale sine therefore has peak 0 dBFS and RMS −3.01 dBFS (no AES17 +3 dB correction).
* Anything quieter than `FLOOR_DBFS` (−120 dBFS, below the 24-bit noise floor) is reported as
  −120.0, so all-zero or empty input gives peak = RMS = −120.0 instead of −inf (attributes and
  Prometheus cannot carry −inf portably).
* Silence ratio: the signal is cut into non-overlapping 20 ms frames (a trailing partial frame counts
  as a frame); a frame is silent when its RMS is below `SILENCE_THRESHOLD_DBFS` (−60 dBFS). Empty
  input has silence ratio 1.0.
* Clipping ratio: the fraction of samples with ``|x| >= CLIP_THRESHOLD`` (0.999). The decoder counts
  this on the ORIGINAL samples (every channel, original rate) because resampling rings around
  clipped peaks and the mono downmix averages them away; pass that value as `clipping_ratio`.
  Without it, the ratio is computed on the samples given here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from audio_pipeline import attributes as attr

FLOOR_DBFS = -120.0
SILENCE_THRESHOLD_DBFS = -60.0
SILENCE_FRAME_S = 0.020
CLIP_THRESHOLD = 0.999

_CHUNK_SAMPLES = 1 << 20  # bounds temporaries on long signals


@dataclass(frozen=True)
class Levels:
    """Measured levels; `to_attributes` formats them under the shared attribute names."""

    peak_dbfs: float
    rms_dbfs: float
    silence_ratio: float
    clipping_ratio: float

    def to_attributes(self) -> dict[str, str]:
        return {
            attr.PEAK_DBFS: f"{self.peak_dbfs:.2f}",
            attr.RMS_DBFS: f"{self.rms_dbfs:.2f}",
            attr.SILENCE_RATIO: f"{self.silence_ratio:.4f}",
            attr.CLIPPING_RATIO: f"{self.clipping_ratio:.6f}",
        }


def to_dbfs(amplitude: float) -> float:
    """Amplitude (1.0 = full scale) to dBFS, floored at `FLOOR_DBFS`."""
    if not amplitude > 0.0:  # also catches NaN
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20.0 * math.log10(amplitude))


def power_to_dbfs(power: float) -> float:
    """Mean square (1.0 = full-scale square wave) to dBFS, floored at `FLOOR_DBFS`."""
    if not power > 0.0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 10.0 * math.log10(power))


def count_clipped(samples: np.ndarray, threshold: float = CLIP_THRESHOLD) -> int:
    """Number of samples (any shape) at or beyond `threshold` in magnitude."""
    return int(np.count_nonzero(np.abs(samples) >= threshold))


def measure(
    samples: np.ndarray,
    sample_rate: int,
    *,
    clipping_ratio: float | None = None,
    silence_threshold_dbfs: float = SILENCE_THRESHOLD_DBFS,
    frame_s: float = SILENCE_FRAME_S,
) -> Levels:
    """Measure mono `samples` at `sample_rate`; `clipping_ratio` overrides the local clipping count."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected 1-D mono samples, got shape {x.shape}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    n = x.shape[0]
    if n == 0:
        return Levels(FLOOR_DBFS, FLOOR_DBFS, 1.0, 0.0 if clipping_ratio is None else clipping_ratio)

    frame = max(1, round(frame_s * sample_rate))
    # Chunks hold whole frames so frame energies never straddle two chunks.
    chunk = max(frame, (_CHUNK_SAMPLES // frame) * frame)
    silence_power = 10.0 ** (silence_threshold_dbfs / 10.0)
    peak = 0.0
    energy = 0.0
    clipped = 0
    silent_frames = 0
    for start in range(0, n, chunk):
        part = x[start : start + chunk].astype(np.float64, copy=False)
        peak = max(peak, float(np.max(np.abs(part))))
        squares = part * part
        energy += float(squares.sum())
        if clipping_ratio is None:
            clipped += count_clipped(part)
        full = (squares.shape[0] // frame) * frame
        frame_power = squares[:full].reshape(-1, frame).mean(axis=1)
        silent_frames += int(np.count_nonzero(frame_power < silence_power))
        if full < squares.shape[0]:
            silent_frames += int(squares[full:].mean() < silence_power)
    n_frames = -(-n // frame)
    return Levels(
        peak_dbfs=to_dbfs(peak),
        rms_dbfs=power_to_dbfs(energy / n),
        silence_ratio=silent_frames / n_frames,
        clipping_ratio=clipped / n if clipping_ratio is None else float(clipping_ratio),
    )
