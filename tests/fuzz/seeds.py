"""The fuzzer's seed corpus: one tiny valid file per format the decoder's tests make, built from parameters.

libFuzzer finds deep paths by mutating inputs that already get deep: a valid file of each format
passes sniffing and the structure checks, so its mutations exercise the back end behind them. The
formats are those the tests generate (`support.audio_fixtures` transcodes to WAV, AIFF, FLAC, Ogg
Vorbis, Opus, MP3, M4A, ADTS AAC, WebM and Matroska; the headerless tests make GSM, µ-law, A-law and
16-bit linear), plus the other containers libsndfile writes in-process (RF64, W64, CAF, AU) and a
stereo WAV in antiphase, which takes the decoder's second pass. Each seed stays below `MAX_SEED_BYTES`
so that a run spends its time on mutations rather than on long decodes.

libsndfile writes most of its formats in-process; ffmpeg makes the others, with its bit-exact flags so that
its output does not carry the encoder version. The committed copy is `tests/fuzz/corpus` (rebuilt with
``./scripts/fuzz --seeds``); Ogg serial numbers from libsndfile are random, so rebuilds are equal in
structure, not byte for byte.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from fuzz.decode_target import NAME_MODULUS, filename_for

MAX_SEED_BYTES = 4096
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def _tone(rate: int, seconds: float, channels: int) -> np.ndarray:
    """A 440 Hz tone (and 660 Hz on a second channel) at half scale: (frames, channels) float32."""
    t = np.arange(int(rate * seconds)) / rate
    columns = [0.5 * np.sin(2 * np.pi * 440.0 * t), 0.3 * np.sin(2 * np.pi * 660.0 * t)][:channels]
    return np.stack(columns, axis=1).astype(np.float32)


def _soundfile(x: np.ndarray, rate: int, fmt: str, subtype: str) -> bytes:
    out = io.BytesIO()
    sf.write(out, x, rate, format=fmt, subtype=subtype)
    return out.getvalue()


def _ffmpeg(x: np.ndarray, rate: int, suffix: str, *args: str) -> bytes:
    """`x` encoded by ffmpeg into a file named `*.suffix` with output options `args`."""
    with tempfile.TemporaryDirectory(prefix="fuzz-seed-") as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / f"out.{suffix}"
        src.write_bytes(_soundfile(x, rate, "WAV", "PCM_16"))
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-fflags", "+bitexact"]
        cmd += ["-flags:a", "+bitexact", *args, str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        return out.read_bytes()


def _headerless(x: np.ndarray, muxer: str, frame_bytes: int, filename: str) -> bytes:
    """8 kHz headerless `muxer` data, cut to whole frames and to a length the harness names `filename`."""
    data = _ffmpeg(x, 8000, "raw", "-f", muxer)
    frames = len(data) // frame_bytes
    for count in range(frames, max(frames - NAME_MODULUS, 0), -1):
        cut = data[: count * frame_bytes]
        if filename_for(cut) == filename:
            return cut
    raise AssertionError(f"no whole number of {frame_bytes}-byte frames has a length named {filename}")


def _antiphase(rate: int, seconds: float) -> np.ndarray:
    left = _tone(rate, seconds, 1)[:, 0]
    return np.stack([left, -left], axis=1)


_MONO_8K = _tone(8000, 0.1, 1)
_STEREO_11K = _tone(11025, 0.04, 2)

# seed file name -> (the format sniffing names it, how it is made)
SEEDS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "pcm16-stereo.wav": ("wav", lambda: _soundfile(_STEREO_11K, 11025, "WAV", "PCM_16")),
    "antiphase-stereo.wav": ("wav", lambda: _soundfile(_antiphase(8000, 0.1), 8000, "WAV", "PCM_16")),
    "pcm16.rf64": ("wav", lambda: _soundfile(_MONO_8K, 8000, "RF64", "PCM_16")),
    "pcm16.w64": ("w64", lambda: _soundfile(_MONO_8K, 8000, "W64", "PCM_16")),
    "pcm16.aiff": ("aiff", lambda: _soundfile(_STEREO_11K, 11025, "AIFF", "PCM_16")),
    "pcm16.caf": ("caf", lambda: _ffmpeg(_MONO_8K, 8000, "caf", "-c:a", "pcm_s16be")),  # libsndfile pads to 4 KB
    "ulaw.au": ("au", lambda: _soundfile(_MONO_8K, 8000, "AU", "ULAW")),
    "pcm16.flac": ("flac", lambda: _soundfile(_STEREO_11K, 11025, "FLAC", "PCM_16")),
    "vorbis.ogg": ("ogg", lambda: _soundfile(_MONO_8K, 8000, "OGG", "VORBIS")),
    "opus.opus": ("opus", lambda: _ffmpeg(_MONO_8K, 8000, "opus", "-c:a", "libopus", "-b:a", "16k")),
    "mp3.mp3": ("mp3", lambda: _ffmpeg(_MONO_8K, 8000, "mp3", "-c:a", "libmp3lame", "-b:a", "32k")),
    "aac.m4a": ("m4a", lambda: _ffmpeg(_MONO_8K, 8000, "m4a", "-c:a", "aac", "-b:a", "24k")),
    "adts.aac": ("aac", lambda: _ffmpeg(_MONO_8K, 8000, "aac", "-c:a", "aac", "-b:a", "24k", "-f", "adts")),
    "opus.webm": ("webm", lambda: _ffmpeg(_MONO_8K, 8000, "webm", "-c:a", "libopus", "-b:a", "16k")),
    "flac.mka": ("mka", lambda: _ffmpeg(_MONO_8K, 8000, "mka", "-c:a", "flac")),
    "gsm.gsm": ("gsm", lambda: _headerless(_tone(8000, 0.3, 1), "gsm", 33, "call.gsm")),  # 9 of 160-sample frames
    "mulaw.ulaw": ("mulaw", lambda: _headerless(_MONO_8K, "mulaw", 1, "call.ulaw")),
    "alaw.alaw": ("alaw", lambda: _headerless(_MONO_8K, "alaw", 1, "call.alaw")),
    "linear.sln": ("sln", lambda: _headerless(_MONO_8K, "s16le", 2, "call.sln")),
}


def build_seeds() -> dict[str, bytes]:
    """Every seed, by file name (ffmpeg must be installed)."""
    seeds = {name: make() for name, (_, make) in SEEDS.items()}
    for name, data in seeds.items():
        if len(data) >= MAX_SEED_BYTES:
            raise AssertionError(f"seed {name} is {len(data)} bytes, more than {MAX_SEED_BYTES - 1}")
    return seeds


def write_corpus(directory: Path) -> list[Path]:
    """Write every seed into `directory` (created if missing); returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in build_seeds().items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS_DIR
    for path in write_corpus(target):
        print(f"{path.stat().st_size:5d} {path}")
