"""Small numpy signal helpers: levels, filters, resampling, reverb, codec round trips, file reading."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from serving.model_contract import SAMPLE_RATE

FRAME = 400  # 25 ms at 16 kHz


def db_to_gain(db: float) -> float:
    """Amplitude factor for a level in dB."""
    return float(10.0 ** (db / 20.0))


def rms_db(x: np.ndarray) -> float:
    """RMS level in dBFS (-200 for digital silence)."""
    if x.size == 0:
        return -200.0
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 1e-10 else -200.0


def frame_levels_db(x: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """RMS level in dBFS of consecutive frames (at least one frame)."""
    n = max(1, len(x) // frame)
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    frames = x[: n * frame].reshape(n, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-10))


def active_db(x: np.ndarray) -> float:
    """Level of the loudest 25 ms frame: what separates silence from quiet content."""
    return float(np.max(frame_levels_db(x)))


def set_active_level(x: np.ndarray, target_db: float) -> np.ndarray:
    """Scale so that the loudest frame sits at `target_db` (digital silence is returned unchanged)."""
    level = active_db(x)
    if level < -190:
        return x
    return (x * db_to_gain(target_db - level)).astype(np.float32)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """High-quality resampling with soxr."""
    if rate_in == rate_out:
        return x.astype(np.float32)
    return soxr.resample(x.astype(np.float32), rate_in, rate_out).astype(np.float32)


def to_mono(x: np.ndarray) -> np.ndarray:
    """Average channels of a (frames, channels) array."""
    return x.mean(axis=1) if x.ndim == 2 else x


def read_audio(path: Path | str, max_seconds: float | None = None) -> np.ndarray:
    """Decode a file to 16 kHz mono float32 (soundfile first, ffmpeg for anything it cannot read)."""
    try:
        info = sf.info(str(path))
        frames = -1 if max_seconds is None else int(max_seconds * info.samplerate)
        data, rate = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
        return resample(to_mono(data), rate, SAMPLE_RATE)
    except (RuntimeError, sf.LibsndfileError):
        cmd = ["ffmpeg", "-v", "error", "-i", str(path)]
        if max_seconds is not None:
            cmd += ["-t", str(max_seconds)]
        cmd += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype="<f4").astype(np.float32)


def fft_filter(x: np.ndarray, gain_fn, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Zero-phase filter: multiply the spectrum by `gain_fn(freqs_hz)`."""
    n = len(x)
    spec = np.fft.rfft(x, n=n)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    return np.fft.irfft(spec * gain_fn(freqs), n=n).astype(np.float32)


def bandpass(x: np.ndarray, low: float, high: float, order: float = 4.0) -> np.ndarray:
    """Butterworth-shaped magnitude band-pass (zero phase)."""

    def gain(f: np.ndarray) -> np.ndarray:
        g = np.ones_like(f)
        if low > 0:
            g = g / np.sqrt(1.0 + (low / np.maximum(f, 1e-3)) ** (2 * order))
        if high < SAMPLE_RATE / 2:
            g = g / np.sqrt(1.0 + (f / high) ** (2 * order))
        return g

    return fft_filter(x, gain)


def tilt(x: np.ndarray, db_per_octave: float) -> np.ndarray:
    """Spectral tilt around 1 kHz (a crude EQ)."""
    return fft_filter(x, lambda f: (np.maximum(f, 20.0) / 1000.0) ** (db_per_octave / 6.02))


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Linear convolution through the FFT, truncated to len(x)."""
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]
    return y.astype(np.float32)


def colored_noise(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f^beta (0 white, 1 pink, 2 brown, -1 blue, -2 violet), unit RMS."""
    spec = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spec *= 1.0 / np.maximum(freqs, 10.0) ** (beta / 2.0)
    spec[0] = 0
    y = np.fft.irfft(spec, n=n)
    return (y / (np.std(y) + 1e-12)).astype(np.float32)


def room_impulse(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """Synthetic room impulse response: direct path plus exponentially decaying filtered noise."""
    n = int(max(0.05, rt60 * 1.2) * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.normal(size=n) * np.exp(-6.9 * t / rt60)
    tail = bandpass(tail.astype(np.float32), 80.0, rng.uniform(3000, 8000), order=1.0)
    pre = int(rng.uniform(0.002, 0.02) * SAMPLE_RATE)
    tail[:pre] = 0
    h = tail * rng.uniform(0.2, 0.8) / (np.sqrt(np.sum(tail**2)) + 1e-9)
    h[0] = 1.0
    return h.astype(np.float32)


# In-process codecs through libsndfile: name -> (format, subtype, codec sample rate).
SF_CODECS: dict[str, tuple[str, str, int]] = {
    "mp3": ("MP3", "MPEG_LAYER_III", 16000),
    "vorbis": ("OGG", "VORBIS", 16000),
    "opus": ("OGG", "OPUS", 16000),
    "gsm": ("WAV", "GSM610", 8000),
    "mulaw": ("WAV", "ULAW", 8000),
    "alaw": ("WAV", "ALAW", 8000),
    "g721": ("WAV", "G721_32", 8000),
    "adpcm": ("WAV", "IMA_ADPCM", 8000),
}
# Codecs libsndfile lacks, through ffmpeg: name -> (encoder arguments, container, codec sample rate).
FFMPEG_CODECS: dict[str, tuple[list[str], str, int]] = {
    "codec2_3200": (["-c:a", "libcodec2", "-mode", "3200"], "codec2", 8000),
    "codec2_1300": (["-c:a", "libcodec2", "-mode", "1300"], "codec2", 8000),
    "speex": (["-c:a", "libspeex"], "ogg", 8000),
}
CODECS: tuple[str, ...] = (*SF_CODECS, *FFMPEG_CODECS)


def _sf_roundtrip(x: np.ndarray, codec: str, quality: float) -> np.ndarray:
    fmt, subtype, rate = SF_CODECS[codec]
    y = resample(x, SAMPLE_RATE, rate)
    buf = io.BytesIO()
    extra = {"compression_level": quality} if fmt in ("MP3", "OGG") else {}
    with sf.SoundFile(buf, "w", rate, 1, format=fmt, subtype=subtype, **extra) as f:
        for i in range(0, len(y), rate):  # block writes: one huge Ogg write can crash libsndfile
            f.write(y[i : i + rate])
    buf.seek(0)
    out, _ = sf.read(buf, dtype="float32")
    return resample(out, rate, SAMPLE_RATE)


def _ffmpeg_roundtrip(x: np.ndarray, codec: str) -> np.ndarray:
    args, fmt, rate = FFMPEG_CODECS[codec]
    enc = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "f32le",
            "-ar",
            str(SAMPLE_RATE),
            "-ac",
            "1",
            "-i",
            "-",
            "-ar",
            str(rate),
            *args,
            "-f",
            fmt,
            "-",
        ],
        input=x.astype(np.float32).tobytes(),
        capture_output=True,
        check=True,
    ).stdout
    dec = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", fmt, "-i", "-", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        input=enc,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(dec, dtype="<f4").astype(np.float32)


def align(y: np.ndarray, ref: np.ndarray, max_lag: int) -> np.ndarray:
    """Shift `y` so that it lines up with `ref` (cross-correlation within +-max_lag), same length as ref."""
    size = 1 << (len(y) + len(ref)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(ref, size)), size)
    lags = np.concatenate([corr[: max_lag + 1], corr[-max_lag:]])
    best = int(np.argmax(np.abs(lags)))
    lag = best if best <= max_lag else best - len(lags)
    out = y[max(0, lag) :] if lag >= 0 else np.concatenate([np.zeros(-lag, np.float32), y])
    out = out[: len(ref)]
    return np.pad(out, (0, len(ref) - len(out))).astype(np.float32)


def codec_roundtrip(x: np.ndarray, codec: str, quality: float = 0.5) -> np.ndarray:
    """Encode and decode (lossy codecs at their native rate), realigned to the input, same length."""
    pad = np.zeros(SAMPLE_RATE // 8, dtype=np.float32)
    src = np.clip(np.concatenate([pad, x.astype(np.float32), pad]), -1, 1)
    y = _sf_roundtrip(src, codec, quality) if codec in SF_CODECS else _ffmpeg_roundtrip(src, codec)
    return align(y, src, SAMPLE_RATE // 10)[len(pad) : len(pad) + len(x)]


def wav_bytes_to_array(data: bytes) -> tuple[np.ndarray, int]:
    """Decode an in-memory WAV file to mono float32."""
    arr, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return to_mono(arr), rate
