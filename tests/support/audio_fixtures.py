"""Generate test audio on demand (espeak-ng speech, sox tones/noise, ffmpeg transcodes/degradations).

Nothing is checked in and no third-party recordings are used: every file is synthesised from
parameters, so tests are reproducible and free of licensing or evaluation-set overlap. Files are
cached by their parameters in one directory per test session (see the `audio` fixture in conftest).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

REQUIRED_TOOLS = ("espeak-ng", "sox", "ffmpeg", "ffprobe")

# Two sentences (≈5.5 s at 150 wpm): long enough for PESQ (≥ 3.2 s of speech), short enough to be fast.
DEFAULT_TEXT = "Please call Stella. Ask her to bring six spoons of fresh snow peas from the store."
VOICES = ("en-us", "en-gb+f3", "en-gb-scotland+m3")

# ffmpeg codec options per target extension.
_CODECS: dict[str, list[str]] = {
    "wav": ["-c:a", "pcm_s16le"],
    "flac": ["-c:a", "flac"],
    "aiff": ["-c:a", "pcm_s16be"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    "webm": ["-c:a", "libopus", "-b:a", "32k"],
    "mka": ["-c:a", "flac"],
}


def missing_tools() -> list[str]:
    """Tools from REQUIRED_TOOLS that are not on PATH (tests skip with this list)."""
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")


class AudioFactory:
    """Creates audio files under `root`, each once per set of parameters."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, ext: str, *params: object) -> Path:
        key = hashlib.sha1(repr(params).encode()).hexdigest()[:12]
        return self.root / f"{kind}-{key}.{ext}"

    def _make(self, path: Path, cmd: list[str]) -> Path:
        """Run `cmd` (with "{out}" standing for the output) unless `path` exists; atomic rename."""
        if not path.exists():
            tmp = path.with_name(path.stem + ".part" + path.suffix)
            _run([str(tmp) if part == "{out}" else part for part in cmd])
            tmp.replace(path)
        return path

    def speech(self, voice: str = "en-us", *, rate: int = 16000, text: str = DEFAULT_TEXT, pad_s: float = 0.5) -> Path:
        """espeak-ng speech as 16-bit mono WAV at `rate`, with `pad_s` of silence either side (P.862.3)."""
        path = self._path("speech", "wav", voice, rate, text, pad_s)
        raw = self._path("espeak", "wav", voice, text)
        self._make(raw, ["espeak-ng", "-v", voice, "-s", "150", "-w", "{out}", text])
        pad = ["pad", str(pad_s), str(pad_s)]
        return self._make(path, ["sox", "-R", "-G", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "{out}", *pad])

    def tone(
        self,
        *,
        freq: float = 440.0,
        duration: float = 3.0,
        rate: int = 44100,
        channels: int = 2,
        amplitude: float = 0.5,
        bits: int = 16,
    ) -> Path:
        """A sine tone WAV from sox (amplitude 1.0 = full scale)."""
        path = self._path("tone", "wav", freq, duration, rate, channels, amplitude, bits)
        return self._make(
            path,
            [
                "sox",
                "-n",
                "-r",
                str(rate),
                "-c",
                str(channels),
                "-b",
                str(bits),
                "{out}",
                "synth",
                str(duration),
                "sine",
                str(freq),
                "vol",
                str(amplitude),
            ],
        )

    def noise(
        self,
        *,
        duration: float = 3.0,
        rate: int = 44100,
        channels: int = 1,
        amplitude: float = 0.1,
        color: str = "whitenoise",
    ) -> Path:
        """Noise WAV from sox (`color`: whitenoise, pinknoise, brownnoise)."""
        path = self._path("noise", "wav", duration, rate, channels, amplitude, color)
        return self._make(
            path,
            [
                "sox",
                "-R",
                "-n",
                "-r",
                str(rate),
                "-c",
                str(channels),
                "-b",
                "16",
                "{out}",
                "synth",
                str(duration),
                color,
                "vol",
                str(amplitude),
            ],
        )

    def transcode(
        self,
        src: Path,
        ext: str,
        *,
        bitrate: str | None = None,
        rate: int | None = None,
        channels: int | None = None,
    ) -> Path:
        """`src` re-encoded by ffmpeg into the container/codec for `ext` (see _CODECS)."""
        path = self._path("tc", ext, str(src), ext, bitrate, rate, channels)
        opts = list(_CODECS[ext])
        if bitrate is not None:
            opts += ["-b:a", bitrate]
        if rate is not None:
            opts += ["-ar", str(rate)]
        if channels is not None:
            opts += ["-ac", str(channels)]
        return self._make(path, ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), *opts, "{out}"])

    def degrade(self, src: Path, kind: str, *, rate: int) -> Path:
        """A degraded copy of speech `src` as 16-bit WAV at `rate`.

        kind: 'opus6k' / 'mp3-8k' (low-bitrate codecs), 'noise' (white noise, amplitude 0.01),
        'lowpass' (telephone band 300–3400 Hz).
        """
        path = self._path("deg", "wav", str(src), kind, rate)
        if path.exists():
            return path
        if kind in ("opus6k", "mp3-8k"):
            ext, bitrate = ("opus", "6k") if kind == "opus6k" else ("mp3", "8k")
            coded = self.transcode(src, ext, bitrate=bitrate, rate=rate if ext == "mp3" else None)
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(coded), "-ar", str(rate), "-ac", "1"]
        elif kind == "noise":
            graph = (
                f"anoisesrc=color=white:amplitude=0.01:sample_rate={rate}:seed=7[n];"
                "[0:a][n]amix=inputs=2:duration=first:normalize=0"
            )
            cmd = [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                str(src),
                "-filter_complex",
                graph,
                "-ar",
                str(rate),
                "-ac",
                "1",
            ]
        elif kind == "lowpass":
            cmd = [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-i",
                str(src),
                "-af",
                "highpass=f=300,lowpass=f=3400,lowpass=f=3400,lowpass=f=3400",
                "-ar",
                str(rate),
                "-ac",
                "1",
            ]
        else:
            raise ValueError(f"unknown degradation {kind!r}")
        return self._make(path, [*cmd, "-c:a", "pcm_s16le", "{out}"])

    def long_file(self, ext: str, *, minutes: float = 10.0, rate: int = 44100, channels: int = 2) -> Path:
        """A long two-tone file (memory tests): a 10 s sox segment looped by ffmpeg into `ext`."""
        segment = self._path("segment", "wav", rate, channels)
        self._make(
            segment,
            [
                "sox",
                "-n",
                "-r",
                str(rate),
                "-c",
                str(channels),
                "-b",
                "16",
                "{out}",
                "synth",
                "10",
                "sine",
                "440",
                "sine",
                "660",
                "vol",
                "0.3",
            ],
        )
        path = self._path("long", ext, minutes, rate, channels)
        codec = ["-c:a", "pcm_s16le"] if ext == "wav" else _CODECS[ext]
        return self._make(
            path,
            [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-stream_loop",
                "-1",
                "-i",
                str(segment),
                "-t",
                str(minutes * 60.0),
                *codec,
                "{out}",
            ],
        )
