"""Silence sources and the augmentation chain (speed, EQ, reverb, background mix, codec, gain, clipping)."""

from __future__ import annotations

import numpy as np

from serving.model_contract import SAMPLE_RATE, SILENCE_MAX_DB
from serving.training.synth import noise, tones
from serving.training.synth.dsp import (
    CODECS,
    active_db,
    bandpass,
    codec_roundtrip,
    colored_noise,
    db_to_gain,
    fft_convolve,
    resample,
    rms_db,
    set_active_level,
    tilt,
)

SR = SAMPLE_RATE
TELEPHONE_CODECS = ("gsm", "gsm", "mulaw", "alaw", "g721", "adpcm", "speex", "codec2_3200", "codec2_1300")


def silence_source(rng: np.random.Generator, seconds: float, quiet_content: np.ndarray | None = None) -> np.ndarray:
    """Digital silence, dither, a low noise floor, faint hum or very quiet content: all below SILENCE_MAX_DB."""
    n = int(seconds * SR)
    kind = rng.choice(["zero", "dither", "floor", "floor", "hum", "content"], p=[0.12, 0.18, 0.3, 0.15, 0.1, 0.15])
    if kind == "zero":
        x = np.zeros(n, dtype=np.float32)
    elif kind == "dither":
        lsb = 1 / 32768
        x = (rng.integers(-1, 2, n) + rng.integers(-1, 2, n) * (rng.random() < 0.5)).astype(np.float32) * lsb
        if rng.random() < 0.3:
            x += rng.uniform(-3, 3) * lsb  # DC offset
    elif kind == "floor":
        x = colored_noise(rng, n, float(rng.uniform(-1, 2.5)))
        x = set_active_level(x, float(rng.uniform(-95, SILENCE_MAX_DB - 3)))
    elif kind == "hum":
        t = np.arange(n) / SR
        f0 = rng.choice([50.0, 60.0])
        x = sum(rng.uniform(0, 1) / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 6)).astype(np.float32)
        x += colored_noise(rng, n, 1.0) * rng.uniform(0, 0.5)
        x = set_active_level(x, float(rng.uniform(-90, SILENCE_MAX_DB - 4)))
    else:
        src = (
            quiet_content if quiet_content is not None and len(quiet_content) >= n else tones.tone_source(rng, seconds)
        )
        x = set_active_level(src[:n], float(rng.uniform(-90, SILENCE_MAX_DB - 4)))
        x += colored_noise(rng, n, 0.0) * db_to_gain(-100)
    if rng.random() < 0.15:
        x = x + (rng.integers(-1, 2, n).astype(np.float32) / 32768)  # requantisation noise
    return np.asarray(x, dtype=np.float32)


def speed(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Speed change (pitch and tempo together) by resampling."""
    factor = rng.uniform(0.85, 1.18)
    return resample(x, int(SR * factor), SR)


def equalise(rng: np.random.Generator, x: np.ndarray, telephone: bool) -> np.ndarray:
    """Random spectral tilt, band limits, or a telephone band."""
    if telephone:
        return bandpass(x, rng.uniform(200, 400), rng.uniform(3000, 3600), order=4)
    r = rng.random()
    if r < 0.4:
        return tilt(x, float(rng.uniform(-4, 4)))
    if r < 0.8:
        return bandpass(x, float(rng.uniform(0, 300)), float(rng.uniform(2500, 7900)), order=float(rng.uniform(1, 4)))
    return resample(resample(x, SR, int(rng.choice([8000, 11025, 12000]))), int(rng.choice([8000, 11025, 12000])), SR)


def reverb(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Convolution with a synthetic room (RT60 0.1-1.2 s)."""
    from serving.training.synth.dsp import room_impulse

    y = fft_convolve(x, room_impulse(rng, float(rng.uniform(0.1, 1.2))))
    return y * (np.max(np.abs(x)) / (np.max(np.abs(y)) + 1e-9))


def background(rng: np.random.Generator, n: int, extra: np.ndarray | None) -> np.ndarray:
    """A background bed: noise textures, or `extra` (e.g. music under speech) when given."""
    if extra is not None and len(extra) >= n:
        start = int(rng.integers(0, len(extra) - n + 1))
        return extra[start : start + n]
    bed = noise.noise_source(rng, n / SR + 0.01)[:n]
    return np.pad(bed, (0, n - len(bed)))


def mix_at_snr(x: np.ndarray, bed: np.ndarray, snr_db: float) -> np.ndarray:
    """Add `bed` so that foreground RMS / bed RMS = snr_db."""
    bed = np.pad(bed[: len(x)], (0, max(0, len(x) - len(bed))))
    fg, bg = rms_db(x), rms_db(bed)
    if fg < -150 or bg < -150:
        return x
    return (x + bed * db_to_gain(fg - bg - snr_db)).astype(np.float32)


# class -> probabilities of each step
PLAN = {
    "speech": {"speed": 0.3, "eq": 0.35, "telephone": 0.25, "reverb": 0.3, "bg": 0.45, "codec": 0.45},
    "music": {"speed": 0.2, "eq": 0.35, "telephone": 0.08, "reverb": 0.2, "bg": 0.25, "codec": 0.4},
    "noise": {"speed": 0.2, "eq": 0.3, "telephone": 0.05, "reverb": 0.25, "bg": 0.2, "codec": 0.3},
    "tone": {"speed": 0.0, "eq": 0.25, "telephone": 0.15, "reverb": 0.15, "bg": 0.4, "codec": 0.35},
    "silence": {"speed": 0.0, "eq": 0.1, "telephone": 0.05, "reverb": 0.0, "bg": 0.0, "codec": 0.25},
}


def augment(
    rng: np.random.Generator, x: np.ndarray, label: str, extra_bed: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Apply a random chain of augmentations; return the signal and the names of the steps applied."""
    plan = PLAN[label]
    steps: list[str] = []
    x = np.asarray(x, dtype=np.float32)
    if rng.random() < plan["speed"]:
        x = speed(rng, x)
        steps.append("speed")
    telephone = rng.random() < plan["telephone"]
    if telephone or rng.random() < plan["eq"]:
        x = equalise(rng, x, telephone)
        steps.append("telephone" if telephone else "eq")
    if rng.random() < plan["reverb"]:
        x = reverb(rng, x)
        steps.append("reverb")
    if rng.random() < plan["bg"]:
        use_extra = extra_bed is not None and rng.random() < 0.5
        bed = background(rng, len(x), extra_bed if use_extra else None)
        low = {"tone": 3.0, "speech": 3.0, "music": 5.0, "noise": -5.0}.get(label, 10.0)
        x = mix_at_snr(x, bed, float(rng.uniform(low, 30.0)))
        steps.append("bg_extra" if use_extra else "bg")
    if label == "silence":
        level = float(rng.uniform(-95, SILENCE_MAX_DB - 4))
    else:
        level = float(rng.uniform(-42, -1))
    x = set_active_level(x, level) if active_db(x) > -190 else x
    if rng.random() < plan["codec"]:
        names = list(TELEPHONE_CODECS) if telephone or (label == "speech" and rng.random() < 0.5) else list(CODECS)
        codec = names[rng.integers(len(names))]
        try:
            x = codec_roundtrip(np.clip(x, -1, 1), codec, float(rng.uniform(0.2, 0.95)))
            steps.append(codec)
        except Exception as exc:  # a failed codec run only loses one augmentation
            print(f"codec {codec} failed: {exc}", flush=True)
    if label != "silence" and rng.random() < 0.05:
        drive = db_to_gain(float(rng.uniform(3, 15)))
        x = np.clip(x * drive, -1, 1) / drive
        steps.append("clip")
    return np.clip(x, -1, 1).astype(np.float32), steps
