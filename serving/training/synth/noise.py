"""Noise sources: coloured noise, environmental textures and sound effects built with numpy."""

from __future__ import annotations

import numpy as np

from serving.model_contract import SAMPLE_RATE
from serving.training.synth.dsp import bandpass, colored_noise, fft_convolve

SR = SAMPLE_RATE


def _smooth_envelope(rng: np.random.Generator, n: int, rate_hz: float, depth: float) -> np.ndarray:
    """Slowly varying positive envelope (random walk of control points, interpolated)."""
    points = max(2, int(n / SR * rate_hz) + 2)
    ctrl = np.exp(rng.normal(0, depth, size=points))
    return np.interp(np.arange(n), np.linspace(0, n, points), ctrl).astype(np.float32)


def coloured(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stationary noise of any colour, sometimes band-limited."""
    x = colored_noise(rng, n, float(rng.uniform(-2.0, 2.5)))
    if rng.random() < 0.4:
        low = float(rng.uniform(20, 2000))
        x = bandpass(x, low, float(min(7900, low * rng.uniform(1.5, 30))), order=float(rng.uniform(1, 4)))
    return x


def wind(rng: np.random.Generator, n: int) -> np.ndarray:
    """Low-passed noise with gusts."""
    x = colored_noise(rng, n, float(rng.uniform(1.0, 2.5)))
    x = bandpass(x, 20, float(rng.uniform(300, 2500)), order=1.5)
    return x * _smooth_envelope(rng, n, rng.uniform(0.5, 3), rng.uniform(0.3, 1.0))


def rain(rng: np.random.Generator, n: int) -> np.ndarray:
    """Dense random drops (short decaying clicks) over a noise bed."""
    drops = np.zeros(n, dtype=np.float32)
    count = int(n / SR * rng.uniform(50, 800))
    pos = rng.integers(0, n, size=count)
    drops[pos] = rng.normal(0, 1, size=count) * rng.uniform(0.2, 1.0, size=count)
    kernel = np.exp(-np.arange(int(0.004 * SR)) / (rng.uniform(0.0003, 0.002) * SR)).astype(np.float32)
    drops = fft_convolve(drops, kernel)
    drops = bandpass(drops, float(rng.uniform(200, 1500)), float(rng.uniform(3000, 7900)), order=2)
    bed = bandpass(colored_noise(rng, n, 0.5), 500, 7000, order=1) * rng.uniform(0.05, 0.5) * np.std(drops)
    return drops + bed


def machine(rng: np.random.Generator, n: int) -> np.ndarray:
    """Engine / fan / appliance: jittery low harmonics buried in broadband noise with modulation."""
    t = np.arange(n) / SR
    f0 = rng.uniform(20, 200) * (1 + 0.05 * np.cumsum(rng.normal(0, 1, n)) / np.sqrt(n))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    harm = sum(rng.uniform(0, 1) / (k**0.7) * np.sin(k * phase + rng.uniform(0, 6.28)) for k in range(1, 12))
    noise = colored_noise(rng, n, float(rng.uniform(0, 2))) * rng.uniform(0.7, 2.0)
    am = 1 + rng.uniform(0, 0.5) * np.sin(2 * np.pi * rng.uniform(1, 30) * t)
    return (harm * rng.uniform(0.2, 0.6) / 3 + noise) * am


def crackle(rng: np.random.Generator, n: int) -> np.ndarray:
    """Vinyl or fire crackle: sparse impulses with a hiss."""
    x = np.zeros(n, dtype=np.float32)
    count = int(n / SR * rng.uniform(5, 120))
    x[rng.integers(0, n, count)] = rng.standard_cauchy(count).clip(-30, 30)
    x = bandpass(x, 300, 7900, order=1)
    return x + colored_noise(rng, n, float(rng.uniform(-1, 1))) * np.std(x) * rng.uniform(0.05, 0.5)


def impacts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Footsteps, knocks, door slams, hammering: decaying filtered noise bursts at irregular times."""
    x = np.zeros(n, dtype=np.float32)
    period = rng.uniform(0.15, 1.2)
    t = rng.uniform(0, period)
    while t < n / SR:
        length = int(rng.uniform(0.03, 0.5) * SR)
        burst = rng.normal(0, 1, length) * np.exp(-np.arange(length) / (rng.uniform(0.01, 0.15) * SR))
        lo = float(rng.uniform(40, 1500))
        burst = bandpass(burst.astype(np.float32), lo, float(min(7900, lo * rng.uniform(2, 20))), order=2)
        if rng.random() < 0.3:  # a resonant body (wood, metal) adds a short damped mode
            f = rng.uniform(100, 3000)
            burst += 0.5 * np.sin(2 * np.pi * f * np.arange(length) / SR) * np.exp(-np.arange(length) / (0.03 * SR))
        i = int(t * SR)
        seg = burst[: n - i] * rng.uniform(0.3, 1.0)
        x[i : i + len(seg)] += seg / (np.max(np.abs(seg)) + 1e-9)
        t += period * rng.uniform(0.5, 1.6)
    bed = colored_noise(rng, n, float(rng.uniform(0, 2))) * rng.uniform(0.005, 0.08)
    return x + bed


def whoosh(rng: np.random.Generator, n: int) -> np.ndarray:
    """Swept band-passed noise: passing cars, whooshes, swooshes, surf."""
    out = np.zeros(n, dtype=np.float32)
    hop = 1024
    noise = colored_noise(rng, n + hop, float(rng.uniform(0, 2)))
    period = rng.uniform(0.5, 4.0)
    centre = np.exp(
        np.interp(
            np.arange(0, n + hop, hop) / SR,
            np.arange(0, n / SR + period * 2, period),
            rng.uniform(np.log(200), np.log(5000), size=int(n / SR / period) + 3),
        )
    )
    window = np.hanning(2 * hop).astype(np.float32)
    for k, i in enumerate(range(0, n - hop, hop)):
        seg = noise[i : i + 2 * hop] * window[: len(noise[i : i + 2 * hop])]
        c = centre[min(k, len(centre) - 1)]
        seg = bandpass(seg, c / 1.6, min(7900, c * 1.6), order=2)
        out[i : i + len(seg)] += seg[: n - i]
    return out * _smooth_envelope(rng, n, rng.uniform(0.3, 2), 0.8)


def explosion(rng: np.random.Generator, n: int) -> np.ndarray:
    """Explosions and crashes: loud low-passed bursts with long decays and debris."""
    x = np.zeros(n, dtype=np.float32)
    t = rng.uniform(0, 0.5)
    while t < n / SR:
        length = int(rng.uniform(0.3, 2.0) * SR)
        env = np.exp(-np.arange(length) / (rng.uniform(0.08, 0.6) * SR))
        burst = colored_noise(rng, length, float(rng.uniform(0.5, 2))) * env
        burst = bandpass(burst, 20, float(rng.uniform(500, 6000)), order=1.5)
        i = int(t * SR)
        seg = burst[: n - i]
        x[i : i + len(seg)] += seg
        t += rng.uniform(0.4, 2.5)
    return x + rain(rng, n) * rng.uniform(0, 0.2)


def zaps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Game-style effects: short noisy chirps, bleeps with distortion and noise tails, irregularly spaced."""
    x = np.zeros(n, dtype=np.float32)
    t = rng.uniform(0, 0.3)
    while t < n / SR:
        length = int(rng.uniform(0.05, 0.6) * SR)
        tt = np.arange(length) / SR
        f_start, f_end = rng.uniform(200, 4000), rng.uniform(50, 6000)
        f = f_start * (f_end / f_start) ** (tt / tt[-1])
        tone = (
            np.sign(np.sin(2 * np.pi * np.cumsum(f) / SR))
            if rng.random() < 0.5
            else np.sin(2 * np.pi * np.cumsum(f) / SR)
        )
        noise = colored_noise(rng, length, float(rng.uniform(-1, 2)))
        mix = rng.uniform(0.3, 1.0)
        burst = (mix * noise + (1 - mix) * tone) * np.exp(-tt / rng.uniform(0.03, 0.3))
        i = int(t * SR)
        seg = burst[: n - i]
        x[i : i + len(seg)] += seg.astype(np.float32)
        t += rng.uniform(0.1, 0.9)
    return x


def hum_and_hiss(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mains hum with hiss and buzz (a noisy recording chain)."""
    t = np.arange(n) / SR
    f0 = rng.choice([50.0, 60.0])
    hum = sum(rng.uniform(0, 1) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.28)) for k in range(1, 20))
    hiss = colored_noise(rng, n, float(rng.uniform(-0.5, 1))) * rng.uniform(1.0, 3.0)
    return (hum * 0.3 + hiss).astype(np.float32)


def _retro_event(rng: np.random.Generator, n_max: int) -> np.ndarray:
    """One 8-bit-style game effect: LFSR-noise explosion, falling laser, FM zap or crushed noise sweep."""
    length = int(min(n_max, rng.uniform(0.08, 1.2) * SR))
    t = np.arange(length) / SR
    env = np.exp(-t / rng.uniform(0.04, 0.5))
    kind = rng.integers(5)
    if kind == 0:  # noise channel: random levels held at a falling clock rate
        rate = rng.uniform(2000, 12000) * np.exp(-t / rng.uniform(0.05, 0.6)) + rng.uniform(50, 400)
        clock = np.floor(np.cumsum(rate / SR)).astype(int)
        x = rng.choice([-1.0, 1.0], size=clock[-1] + 1)[clock]
    elif kind == 1:  # laser: square wave with an exponential pitch fall
        f = rng.uniform(800, 4000) * np.exp(-t / rng.uniform(0.03, 0.3)) + rng.uniform(60, 300)
        x = np.sign(np.sin(2 * np.pi * np.cumsum(f) / SR))
    elif kind == 2:  # FM / ring-modulated zap
        fc = rng.uniform(200, 3000)
        fm = rng.uniform(20, 900) * (1 + rng.uniform(-0.9, 2) * t / t[-1])
        x = np.sin(2 * np.pi * fc * t + rng.uniform(2, 15) * np.sin(2 * np.pi * np.cumsum(fm) / SR))
    elif kind == 3:  # band-passed noise burst whose band sweeps
        x = colored_noise(rng, length, float(rng.uniform(-1, 1.5)))
        x = x * np.sin(2 * np.pi * np.cumsum(rng.uniform(100, 3000) * (1 + t * rng.uniform(-3, 3)) / SR))
    else:  # bit-crushed, down-sampled noise with a pitch sweep mixed in
        x = colored_noise(rng, length, 0.5) + 0.5 * np.sin(
            2 * np.pi * np.cumsum(np.linspace(rng.uniform(100, 2000), rng.uniform(100, 2000), length)) / SR
        )
        hold = int(rng.integers(2, 12))
        x = np.repeat(x[::hold], hold)[:length]
    bits = rng.integers(3, 8)
    x = np.round(x * env * 2 ** (bits - 1)) / 2 ** (bits - 1) if rng.random() < 0.4 else x * env
    return x.astype(np.float32)


def retro_effects(rng: np.random.Generator, n: int) -> np.ndarray:
    """Game sound effects: one event followed by silence, or a few events at irregular times."""
    x = np.zeros(n, dtype=np.float32)
    if rng.random() < 0.5:
        ev = _retro_event(rng, n)
        x[: len(ev)] = ev
        return x
    t = int(rng.uniform(0, 0.3) * SR)
    while t < n:
        ev = _retro_event(rng, n - t)
        x[t : t + len(ev)] += ev * rng.uniform(0.4, 1.0)
        t += len(ev) + int(rng.uniform(0.05, 1.0) * SR)
    return x


GENERATORS = (
    coloured,
    coloured,
    wind,
    rain,
    machine,
    crackle,
    impacts,
    impacts,
    whoosh,
    explosion,
    zaps,
    hum_and_hiss,
    retro_effects,
    retro_effects,
    retro_effects,
)


def noise_source(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """One noise texture, sometimes two layered."""
    n = int(seconds * SR)
    x = GENERATORS[rng.integers(len(GENERATORS))](rng, n)
    x = x / (np.max(np.abs(x)) + 1e-9)
    if rng.random() < 0.3:
        y = GENERATORS[rng.integers(len(GENERATORS))](rng, n)
        x = x + y / (np.max(np.abs(y)) + 1e-9) * rng.uniform(0.1, 0.7)
    return np.asarray(x, dtype=np.float32)
