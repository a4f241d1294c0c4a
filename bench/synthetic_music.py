"""Synthetic music for the fingerprint benchmarks and tests: distinctive tracks (random note sequences
with harmonics and ADSR, drifting noise textures) generated from seeds, and the degradations queries
get (MP3 round trip, white noise). Nothing is downloaded; a seed always gives the same audio."""

from __future__ import annotations

import subprocess

import numpy as np

RATE = 16000


def synth_music(seed: int, seconds: float, rate: int = RATE) -> np.ndarray:
    """A distinctive music-like track: random note sequences with harmonics and ADSR envelopes.

    Each seed picks its own tempo, tuning, scale, timbre and a second voice, so tracks differ the
    way real songs do (shared pitches, different rhythm and timbre), not trivially.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n, dtype=np.float64)
    tuning = 440.0 * 2 ** (rng.uniform(-0.5, 0.5) / 12)
    scales = ([0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10], [0, 3, 5, 7, 10])
    scale = np.array(scales[rng.integers(len(scales))])
    root = rng.integers(-12, 0)
    harmonics = rng.uniform(0.1, 1.0, size=8) / np.arange(1, 9) ** rng.uniform(0.5, 1.5)
    cycle = np.linspace(0, 2 * np.pi, 4096, endpoint=False)
    phases = rng.uniform(0, 2 * np.pi, size=8)
    table = sum(a * np.sin(k * cycle + p) for k, (a, p) in enumerate(zip(harmonics, phases, strict=True), 1))
    for voice, (low, high) in enumerate(((-12, 12), (-24, -6))):
        beat = 60.0 / rng.uniform(70, 160)
        t = rng.uniform(0, beat)
        while t < seconds:
            length = beat * rng.choice([0.25, 0.5, 0.5, 1.0, 1.0, 2.0])
            degree = rng.integers(0, len(scale) * 3)
            semitone = root + scale[degree % len(scale)] + 12 * (degree // len(scale)) - 12
            semitone = int(np.clip(semitone, low, high))
            _add_note(out, rate, t, length, tuning * 2 ** (semitone / 12), table, 0.6 / (1 + voice), rng)
            t += length if rng.random() > 0.15 else length * 1.5
    # a drum-like layer: short noise bursts on a grid
    beat = 60.0 / rng.uniform(80, 140)
    for start in np.arange(rng.uniform(0, beat), seconds, beat / 2):
        if rng.random() < 0.6:
            _add_burst(out, rate, start, rng)
    return _normalise(out)


def synth_texture(seed: int, seconds: float, rate: int = RATE) -> np.ndarray:
    """A noise-like texture: band-filtered noise whose bands and levels drift over time."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    block = 2048
    frames = n // block + 1
    spec_len = block // 2 + 1
    # slowly changing random spectral envelope (a few moving resonances)
    centres = rng.uniform(5, spec_len - 5, size=4)
    drift = rng.normal(0, 3, size=(frames, 4)).cumsum(axis=0)
    bins = np.arange(spec_len)
    out = np.zeros(frames * block + block)
    window = np.hanning(2 * block)
    for f in range(frames):
        c = np.clip(centres + drift[f], 2, spec_len - 2)
        env = sum(np.exp(-0.5 * ((bins - ci) / rng.uniform(2, 12)) ** 2) for ci in c) + 0.02
        env *= rng.uniform(0.3, 1.0)
        noise = np.fft.rfft(rng.normal(size=2 * block))
        shaped = np.fft.irfft(noise * np.interp(np.arange(block + 1), bins, env)[: block + 1], 2 * block)
        out[f * block : f * block + 2 * block][: len(shaped)] += shaped * window
    return _normalise(out[:n])


def _add_note(
    out: np.ndarray,
    rate: int,
    start: float,
    length: float,
    freq: float,
    table: np.ndarray,
    gain: float,
    rng: np.random.Generator,
) -> None:
    """Add one ADSR-shaped note played from the track's wavetable (one gather, no per-harmonic sin)."""
    i0 = int(start * rate)
    count = min(int((length + 0.15) * rate), len(out) - i0)
    if count <= 0:
        return
    t = np.arange(count) / rate
    attack, decay, sustain = 0.01 + 0.02 * rng.random(), 0.08, 0.6
    env = np.interp(t, [0, attack, attack + decay, length, length + 0.15], [0, 1, sustain, sustain * 0.8, 0])
    size = len(table)
    phase = ((freq * size / rate) * np.arange(count) + rng.uniform(0, size)).astype(np.int64) % size
    out[i0 : i0 + count] += gain * env * table[phase]


def _add_burst(out: np.ndarray, rate: int, start: float, rng: np.random.Generator) -> None:
    i0 = int(start * rate)
    count = min(int(0.12 * rate), len(out) - i0)
    if count <= 0:
        return
    t = np.arange(count) / rate
    burst = rng.normal(size=count) * np.exp(-t * rng.uniform(20, 60))
    if rng.random() < 0.5:
        burst = np.convolve(burst, np.ones(4) / 4, mode="same")[:count]  # "same" is ≥ 4 long
    out[i0 : i0 + count] += 0.3 * burst


def _normalise(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) or 1.0
    return (0.8 * x / peak).astype(np.float32)


# ------------------------------------------------------------------------------------------------
# Degradations


def mp3_roundtrip(x: np.ndarray, bitrate: str = "64k", rate: int = RATE) -> np.ndarray:
    """Encode to MP3 at 44.1 kHz (as a real 64 kbit/s file would be) and decode back to `rate`."""
    encoded = subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "f32le",
            "-ar",
            str(rate),
            "-ac",
            "1",
            "-i",
            "-",
            "-ar",
            "44100",
            "-b:a",
            bitrate,
            "-f",
            "mp3",
            "-",
        ],
        input=np.asarray(x, np.float32).tobytes(),
        capture_output=True,
        check=True,
    ).stdout
    decoded = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "mp3", "-i", "-", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-"],
        input=encoded,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(decoded, dtype=np.float32).copy()


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise at `snr_db` relative to the signal's mean power."""
    power = float(np.mean(np.asarray(x, np.float64) ** 2)) or 1e-12
    noise = rng.normal(scale=np.sqrt(power / 10 ** (snr_db / 10)), size=len(x))
    return (x + noise).astype(np.float32)


# Track seeds: distinct ranges per role, shifted by --seed so another seed means other audio.
SEED_STRIDE = 1_000_000


def catalog_track(i: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Every fourth catalog track is a noise texture, the rest music."""
    base = seed * SEED_STRIDE
    return synth_texture(base + 5000 + i, seconds) if i % 4 == 3 else synth_music(base + 1000 + i, seconds)


def filler_track(i: int, seconds: float, seed: int = 0) -> np.ndarray:
    base = seed * SEED_STRIDE
    return synth_texture(base + 20000 + i, seconds) if i % 3 == 2 else synth_music(base + 30000 + i, seconds)


def outside_track(i: int, seconds: float, seed: int = 0) -> np.ndarray:
    base = seed * SEED_STRIDE
    return synth_texture(base + 70000 + i, seconds) if i % 4 == 3 else synth_music(base + 80000 + i, seconds)


def filler_job(job: tuple[int, float] | tuple[int, float, int]) -> np.ndarray:
    """`filler_track(*job)`, for process pools."""
    return filler_track(*job)
