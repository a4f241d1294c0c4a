"""Tone sources: sines, sweeps, DTMF, call-progress and signalling tones, square/saw/triangle waves."""

from __future__ import annotations

import numpy as np

from serving.model_contract import SAMPLE_RATE

SR = SAMPLE_RATE
DTMF_LOW = (697, 770, 852, 941)
DTMF_HIGH = (1209, 1336, 1477, 1633)

# (frequencies, cadence as alternating on/off seconds; empty = continuous)
CALL_PROGRESS: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = (
    ((350, 440), ()),  # North American dial tone
    ((440, 480), (2.0, 4.0)),  # ringback
    ((480, 620), (0.5, 0.5)),  # busy
    ((480, 620), (0.25, 0.25)),  # reorder
    ((425,), ()),  # European dial tone
    ((425,), (1.0, 4.0)),  # European ringing
    ((425,), (0.5, 0.5)),  # European busy
    ((400, 450), (0.4, 0.2, 0.4, 2.0)),  # UK ringing
    ((400,), (0.375, 0.375)),  # UK busy
    ((350, 450), ()),  # UK dial tone
    ((425,), (0.2, 0.2, 0.2, 3.0)),  # call waiting
    ((950, 1400, 1800), (0.33, 0.03, 0.33, 0.03, 0.33, 1.0)),  # SIT sequence (approximate)
    ((1100,), (0.5, 3.0)),  # fax CNG
    ((2100,), ()),  # fax/modem answer tone
    ((1000,), (0.2, 0.8)),  # beeps
    ((1400,), (0.1, 0.1)),
    ((620,), (0.25, 0.25)),
)


def _osc(rng: np.random.Generator, freq: np.ndarray | float, n: int, shape: str) -> np.ndarray:
    """Oscillator with a constant or per-sample frequency; band-limited square/saw/triangle by additive synthesis."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    phase = 2 * np.pi * np.cumsum(f) / SR + rng.uniform(0, 2 * np.pi)
    if shape == "sine":
        return np.sin(phase).astype(np.float32)
    out = np.zeros(n)
    fmax = float(np.max(f))
    for k in range(1, 200):
        if k * fmax >= SR / 2 - 200:
            break
        if shape == "square" and k % 2:
            out += np.sin(k * phase) / k
        elif shape == "saw":
            out += np.sin(k * phase) / k * (-1) ** (k + 1)
        elif shape == "triangle" and k % 2:
            out += np.sin(k * phase) / (k * k) * (-1) ** ((k - 1) // 2)
        elif shape == "naive_square" and k == 1:
            return np.sign(np.sin(phase)).astype(np.float32)  # aliased square as cheap hardware makes
    return out.astype(np.float32)


def _gate(n: int, cadence: tuple[float, ...], offset: float, ramp: float = 0.005) -> np.ndarray:
    """On/off envelope following a cadence, with short ramps to avoid clicks."""
    if not cadence:
        return np.ones(n, dtype=np.float32)
    period = sum(cadence)
    t = (np.arange(n) / SR + offset) % period
    gate = np.zeros(n, dtype=np.float32)
    start = 0.0
    for i, d in enumerate(cadence):
        if i % 2 == 0:
            gate[(t >= start) & (t < start + d)] = 1.0
        start += d
    k = max(1, int(ramp * SR))
    return np.convolve(gate, np.ones(k) / k, mode="same").astype(np.float32)


def steady(rng: np.random.Generator, n: int) -> np.ndarray:
    """One to three steady partials of any waveform, optionally gated."""
    shape = str(rng.choice(["sine", "sine", "sine", "square", "saw", "triangle", "naive_square"]))
    freqs = np.exp(rng.uniform(np.log(40), np.log(7000), size=int(rng.choice([1, 1, 1, 2, 3]))))
    x = sum(_osc(rng, f, n, shape if i == 0 else "sine") for i, f in enumerate(freqs))
    if rng.random() < 0.5:
        on = rng.uniform(0.05, 1.5)
        x = x * _gate(n, (on, rng.uniform(0.05, 1.5)), rng.uniform(0, 2))
    return np.asarray(x, dtype=np.float32)


def sweep(rng: np.random.Generator, n: int) -> np.ndarray:
    """Linear or logarithmic chirps, up or down, single or repeating; or a warble (slow FM)."""
    shape = str(rng.choice(["sine", "sine", "square", "triangle"]))
    f1, f2 = np.exp(rng.uniform(np.log(30), np.log(7500), size=2))
    period = rng.uniform(0.3, max(0.4, n / SR * 1.5))
    t = (np.arange(n) / SR) % period / period
    if rng.random() < 0.25:
        fc, depth, rate = rng.uniform(300, 3000), rng.uniform(0.02, 0.3), rng.uniform(0.5, 20)
        f = fc * (1 + depth * np.sin(2 * np.pi * rate * np.arange(n) / SR))
    elif rng.random() < 0.5:
        f = f1 + (f2 - f1) * t
    else:
        f = f1 * (f2 / f1) ** t
    return _osc(rng, f, n, shape)


def dtmf(rng: np.random.Generator, n: int) -> np.ndarray:
    """Dialled digits: DTMF pairs with typical 40-250 ms tone and pause lengths."""
    x = np.zeros(n, dtype=np.float32)
    i = int(rng.uniform(0, 0.2) * SR)
    on, off = rng.uniform(0.04, 0.3), rng.uniform(0.04, 0.25)
    while i < n:
        k = int(on * SR * rng.uniform(0.8, 1.2))
        lo, hi = DTMF_LOW[rng.integers(4)], DTMF_HIGH[rng.integers(4)]
        seg = _osc(rng, lo, k, "sine") + 10 ** (rng.uniform(0, 3) / 20) * _osc(rng, hi, k, "sine")
        ramp = np.minimum(1, np.minimum(np.arange(k), np.arange(k)[::-1]) / 40.0)
        x[i : i + k] = (seg * ramp)[: n - i]
        i += k + int(off * SR * rng.uniform(0.8, 1.5))
    return x


def call_progress(rng: np.random.Generator, n: int) -> np.ndarray:
    """A national call-progress or signalling tone with its cadence (frequencies jittered slightly)."""
    freqs, cadence = CALL_PROGRESS[rng.integers(len(CALL_PROGRESS))]
    if len(freqs) == 3 and cadence:  # SIT: the three frequencies in sequence
        seg_len = int(0.33 * SR)
        x = np.zeros(n, dtype=np.float32)
        for start in range(0, n, int(2.0 * SR)):
            for j, f in enumerate(freqs):
                i = start + j * (seg_len + int(0.03 * SR))
                x[i : i + seg_len] = _osc(rng, f, seg_len, "sine")[: max(0, n - i)]
        return x
    jitter = rng.uniform(0.98, 1.02)
    x = sum(_osc(rng, f * jitter, n, "sine") for f in freqs)
    return np.asarray(x * _gate(n, cadence, rng.uniform(0, sum(cadence) if cadence else 0)), dtype=np.float32)


def beeps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Alert or test beeps: sequences of pure tones at one or several pitches."""
    x = np.zeros(n, dtype=np.float32)
    pitches = np.exp(rng.uniform(np.log(300), np.log(4000), size=int(rng.integers(1, 4))))
    on, off = rng.uniform(0.05, 0.8), rng.uniform(0.03, 0.6)
    i = int(rng.uniform(0, 0.3) * SR)
    j = 0
    while i < n:
        k = int(on * SR)
        seg = _osc(rng, pitches[j % len(pitches)], k, "sine" if rng.random() < 0.8 else "square")
        ramp = np.minimum(1, np.minimum(np.arange(k), np.arange(k)[::-1]) / 80.0)
        x[i : i + k] = (seg * ramp)[: n - i]
        i += k + int(off * SR)
        j += 1
    return x


def ringer(rng: np.random.Generator, n: int) -> np.ndarray:
    """Electronic telephone ringers: two frequencies alternating 10-25 times a second, cadenced."""
    f1, f2 = rng.uniform(400, 1500), rng.uniform(500, 2500)
    rate = rng.uniform(8, 25)
    t = np.arange(n) / SR
    f = np.where(np.sin(2 * np.pi * rate * t) >= 0, f1, f2)
    shape = "sine" if rng.random() < 0.5 else "square"
    cadence = (rng.uniform(0.4, 2.0), rng.uniform(0.2, 3.0)) if rng.random() < 0.8 else ()
    return _osc(rng, f, n, shape) * _gate(n, cadence, rng.uniform(0, 2))


def chimes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Notification chimes and error beeps: one to three pure or square notes, sometimes decaying."""
    x = np.zeros(n, dtype=np.float32)
    i = int(rng.uniform(0, 0.2) * SR)
    base = rng.uniform(400, 2000)
    steps = rng.choice([-7, -5, -4, -3, 3, 4, 5, 7, 12], size=int(rng.integers(1, 4)))
    shape = "sine" if rng.random() < 0.7 else "square"
    for k, st in enumerate([0, *steps[:-1]]):
        f = base * 2 ** (st / 12) if k else base
        length = int(rng.uniform(0.08, 0.6) * SR)
        env = np.exp(-np.arange(length) / (rng.uniform(0.05, 0.5) * SR)) if rng.random() < 0.5 else np.ones(length)
        seg = _osc(rng, f, length, shape) * env
        x[i : i + length] = seg[: max(0, n - i)]
        i += length + int(rng.uniform(0, 0.1) * SR)
        if i >= n:
            break
    return x


GENERATORS = (steady, steady, sweep, sweep, dtmf, call_progress, call_progress, beeps, ringer, chimes)


def tone_source(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """One tone pattern, peak-normalised."""
    n = int(seconds * SR)
    x = GENERATORS[rng.integers(len(GENERATORS))](rng, n)
    return (x / (np.max(np.abs(x)) + 1e-9)).astype(np.float32)
