"""Signals and degradations of the evaluation: speech level, noise at a given SNR, the telephone
band through real codecs (ffmpeg), and the non-speech clips (music, noise, silence, hum).

Everything is float32 mono at 16 kHz in -1..1 and seeded: the same arguments give the same samples.

SNR definition: speech power is the mean square over the speech's *active* 20 ms frames (frames
within 40 dB of the loudest frame, so leading and trailing silence do not dilute it); noise power is
the mean square of the added noise over the whole clip. SNR = 10 log10(speech power / noise power).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

from bench.synthetic_music import synth_music

RATE = 16_000
FRAME = RATE // 50  # 20 ms
ACTIVE_RANGE_DB = 40.0
SPEECH_LEVEL_DBFS = -26.0  # active speech level every utterance is set to (ITU-T P.56's usual -26 dBov)
PEAK_LIMIT = 0.99


def db(power: float) -> float:
    return 10.0 * np.log10(max(power, 1e-20))


def active_power(x: np.ndarray) -> float:
    """Mean square over the active 20 ms frames (within ACTIVE_RANGE_DB of the loudest)."""
    x = np.asarray(x, np.float64)
    n = max(1, len(x) // FRAME)
    frames = x[: n * FRAME].reshape(n, FRAME) if len(x) >= FRAME else x.reshape(1, -1)
    power = np.mean(frames**2, axis=1)
    loudest = float(power.max())
    if loudest <= 0.0:
        return 0.0
    return float(power[power >= loudest * 10 ** (-ACTIVE_RANGE_DB / 10)].mean())


def mean_power(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, np.float64) ** 2)) if len(x) else 0.0


def snr_db(speech: np.ndarray, noise: np.ndarray) -> float:
    return db(active_power(speech)) - db(mean_power(noise))


def set_speech_level(x: np.ndarray, level_dbfs: float = SPEECH_LEVEL_DBFS) -> np.ndarray:
    """Scale to the given active speech level, then down (never up) so the peak stays below PEAK_LIMIT."""
    x = np.asarray(x, np.float64)
    power = active_power(x)
    if power > 0:
        x = x * 10 ** ((level_dbfs - db(power)) / 20)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > PEAK_LIMIT:
        x = x * (PEAK_LIMIT / peak)
    return x.astype(np.float32)


def white_noise(n: int, seed: int) -> np.ndarray:
    """Unit-RMS Gaussian white noise."""
    x = np.random.default_rng(seed).standard_normal(n)
    return (x / np.sqrt(mean_power(x))).astype(np.float32)


def pink_noise(n: int, seed: int) -> np.ndarray:
    """Unit-RMS pink (1/f power) noise: white noise shaped by 1/sqrt(f) in the frequency domain."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(max(n, 2)))
    f = np.fft.rfftfreq(max(n, 2), 1.0 / RATE)
    shape = np.zeros_like(f)
    shape[1:] = 1.0 / np.sqrt(np.maximum(f[1:], 20.0))  # flat below 20 Hz, no DC
    x = np.fft.irfft(spectrum * shape, max(n, 2))[:n]
    return (x / np.sqrt(mean_power(x))).astype(np.float32)


NOISES = {"white": white_noise, "pink": pink_noise}


@dataclass(frozen=True)
class Mixture:
    """mixed == speech + noise exactly; the two parts are as scaled in the mix (same gain)."""

    mixed: np.ndarray
    speech: np.ndarray
    noise: np.ndarray


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr: float) -> Mixture:
    """Add `noise` (cut or tiled to the speech's length) scaled to give `snr` dB; if the sum would
    exceed PEAK_LIMIT, both parts are scaled down together (the SNR is unchanged)."""
    speech = np.asarray(speech, np.float64)
    noise = np.resize(np.asarray(noise, np.float64), len(speech))
    gain = np.sqrt(active_power(speech) / (mean_power(noise) * 10 ** (snr / 10)))
    noise = noise * gain
    peak = float(np.max(np.abs(speech + noise)))
    scale = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0
    speech, noise = (speech * scale).astype(np.float32), (noise * scale).astype(np.float32)
    return Mixture(speech + noise, speech, noise)


# ------------------------------------------------------------------------------------------------
# Telephone band: 300-3400 Hz (the G.712 channel), 8 kHz, a real codec round trip, back to 16 kHz.

TELEPHONE_CODECS = {
    "mulaw": (["-c:a", "pcm_mulaw", "-f", "mulaw"], ["-f", "mulaw", "-ar", "8000", "-ac", "1"]),
    "gsm": (["-c:a", "libgsm", "-f", "gsm"], ["-f", "gsm"]),
}


def _ffmpeg(args: list[str], data: bytes) -> bytes:
    done = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *args], input=data, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def ffmpeg_has_encoder(name: str) -> bool:
    done = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True)
    return any(line.split()[1:2] == [name] for line in done.stdout.splitlines() if line.strip())


def telephone(x: np.ndarray, codec: str) -> np.ndarray:
    """Band-limit to 300-3400 Hz, resample to 8 kHz, encode with `codec` (mulaw: G.711 µ-law;
    gsm: GSM 06.10 full rate via libgsm) and decode, resample back to 16 kHz. Same length as `x`."""
    encode, decode = TELEPHONE_CODECS[codec]
    raw = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]
    coded = _ffmpeg(
        [*raw, "-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000", *encode, "pipe:1"],
        np.asarray(x, np.float32).tobytes(),
    )
    back = _ffmpeg([*decode, "-i", "pipe:0", "-ar", str(RATE), "-ac", "1", "-f", "f32le", "pipe:1"], coded)
    y = np.frombuffer(back, np.float32)
    out = np.zeros(len(x), np.float32)
    out[: min(len(x), len(y))] = y[: len(x)]
    return out


# ------------------------------------------------------------------------------------------------
# Non-speech clips: each must give zero words.


def chords(seconds: float, seed: int) -> np.ndarray:
    """Sustained triads (a I-vi-IV-V progression) with harmonics and a simple arpeggio on top."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    root = 220.0 * 2 ** (rng.integers(-5, 5) / 12)
    progression = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))
    bar = rng.uniform(1.5, 2.5)
    for i, start in enumerate(np.arange(0.0, seconds, bar)):
        seg = (t >= start) & (t < start + bar)
        env = np.clip((t[seg] - start) / 0.05, 0, 1) * np.exp(-(t[seg] - start) * 0.8)
        for k, semitone in enumerate(progression[i % 4]):
            f = root * 2 ** (semitone / 12)
            for h in (1, 2, 3):
                out[seg] += env * np.sin(2 * np.pi * f * h * t[seg]) * 0.3 / h
            note = (t >= start + k * bar / 3) & (t < start + (k + 1) * bar / 3)
            out[note] += 0.2 * np.sin(2 * np.pi * 2 * f * t[note]) * np.exp(-(t[note] - start - k * bar / 3) * 4)
    return set_speech_level(out, -20.0)


def hum(seconds: float, mains_hz: float = 50.0, level_dbfs: float = -45.0) -> np.ndarray:
    """Mains hum: the fundamental and its odd harmonics, at `level_dbfs` RMS."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * mains_hz * k * t) / k for k in (1, 2, 3, 5, 7))
    return (x * 10 ** (level_dbfs / 20) / np.sqrt(mean_power(x))).astype(np.float32)


def non_speech_clips(seconds: float) -> list[tuple[str, np.ndarray]]:
    """(kind, samples) of every non-speech clip, in a fixed order."""
    n = int(seconds * RATE)
    return [
        ("music (synthetic melody)", set_speech_level(synth_music(11, seconds), -20.0)),
        ("music (synthetic melody)", set_speech_level(synth_music(29, seconds), -20.0)),
        ("music (chords)", chords(seconds, 5)),
        ("white noise -30 dBFS", white_noise(n, 101) * np.float32(10 ** (-30 / 20))),
        ("pink noise -30 dBFS", pink_noise(n, 102) * np.float32(10 ** (-30 / 20))),
        ("digital silence", np.zeros(n, np.float32)),
        ("hum 50 Hz -45 dBFS", hum(seconds)),
    ]
