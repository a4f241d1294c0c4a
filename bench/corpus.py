"""The benchmark corpus: generated clips, cached under $PIPELINE_DATA_DIR/bench/corpus.

Three kinds, all synthesised (nothing downloaded, nothing checked in):

* ``tones``: 1–3 sine tones plus white or low-passed noise (numpy), 44.1 kHz FLAC, so decoding resamples;
* ``speech``: espeak-ng sentences padded to the clip length at 16 kHz (the clean version is the PESQ
  reference), degraded by noise at 5–30 dB SNR and a gain change; 16 kHz WAV;
* ``synth``: long tone-plus-noise files made by ``sox synth`` straight to 22.05 kHz FLAC (cheap, small).

A set's folder name carries a hash of everything that shapes its audio, so changing a parameter
makes a new folder; clip *i* is the same bytes every time, so raising a count only adds clips.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
KINDS = ("tones", "speech", "synth")
SPEECH_RATE = 16000
SENTENCES = (
    "The benchmark sends the same clips through every way of running the pipeline.",
    "A quiet room, a small fan, and somebody reading numbers aloud: four, nine, twelve.",
    "Throughput is measured at saturation; latency is measured well below it.",
    "Every file that enters the flow must leave it as exactly one result.",
    "The weather report said rain in the morning and bright sunshine after lunch.",
    "Please bring the blue folder, the spare keys and two cups of tea.",
)
VOICES = ("en-us", "en-gb+f3", "en-gb-scotland+m3", "en-us+f2")


@dataclass(frozen=True)
class ClipSet:
    """`count` clips of one kind and length; `references` > 0 gives each clip a PESQ reference."""

    name: str
    kind: str
    seconds: float
    count: int
    references: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown clip kind {self.kind!r}; one of {KINDS}")
        if self.seconds <= 0 or self.count < 0:
            raise ValueError("seconds must be > 0 and count ≥ 0")
        if self.references and self.kind != "speech":
            raise ValueError("only speech clips have PESQ references")

    @property
    def extension(self) -> str:
        return "wav" if self.kind == "speech" else "flac"

    @property
    def key(self) -> str:
        """Folder name: the set's name plus a hash of what shapes its audio (not the count)."""
        shape = {"kind": self.kind, "seconds": self.seconds, "references": self.references, "v": GENERATOR_VERSION}
        digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.name}-{digest}"

    def clip_name(self, index: int) -> str:
        return f"{self.name}-{index:05d}.{self.extension}"

    def reference_name(self, index: int) -> str | None:
        """The PESQ reference of clip `index` (a bare file name, unique across sets), or None."""
        if not self.references:
            return None
        return f"{self.key}-ref-{index % self.references:03d}.wav"


@dataclass(frozen=True)
class Clip:
    path: Path
    seconds: float
    reference: str | None  # file name in the corpus' references folder

    @property
    def name(self) -> str:
        return self.path.name


def throughput_sets(quick: bool) -> tuple[ClipSet, ClipSet]:
    """The two 10 s sets of the saturation runs: without and with PESQ references."""
    count = 120 if quick else 400
    return (
        ClipSet("tones-10s", "tones", 10.0, count),
        ClipSet("speech-10s", "speech", 10.0, count, references=12),
    )


SCALING_LENGTHS: tuple[tuple[str, float, int], ...] = (
    # label, seconds, files (the median time of these is reported)
    ("1 s", 1.0, 5),
    ("10 s", 10.0, 5),
    ("60 s", 60.0, 3),
    ("10 min", 600.0, 1),
    ("1 h (3599 s)", 3599.0, 1),  # DecodeAudio rejects more than its Maximum Duration (1 hour)
)


def scaling_sets(lengths: Iterable[float] | None = None) -> list[tuple[str, ClipSet]]:
    """(label, clip set) of the scaling lengths, all or those in `lengths` (seconds)."""
    wanted = None if lengths is None else set(lengths)
    return [
        (label, ClipSet(f"synth-{seconds:g}s", "synth", seconds, files))
        for label, seconds, files in SCALING_LENGTHS
        if wanted is None or seconds in wanted
    ]


# -- generation -------------------------------------------------------------------------------------


def ensure(root: Path, clip_set: ClipSet) -> list[Clip]:
    """The set's clips under `root`, generating those not cached yet."""
    folder = root / clip_set.key
    folder.mkdir(parents=True, exist_ok=True)
    if clip_set.references:
        _ensure_references(root, clip_set)
    clips = []
    for index in range(clip_set.count):
        path = folder / clip_set.clip_name(index)
        if not path.exists():
            _atomic(path, lambda tmp, i=index: _generate(clip_set, i, tmp))
        clips.append(Clip(path, clip_set.seconds, clip_set.reference_name(index)))
    return clips


def references_dir(root: Path) -> Path:
    return root / "references"


def install_references(root: Path, target: Path) -> None:
    """Copy the corpus's PESQ references into an instance's references folder `target`."""
    target.mkdir(parents=True, exist_ok=True)
    source = references_dir(root)
    for reference in source.glob("*.wav") if source.exists() else []:
        shutil.copyfile(reference, target / reference.name)


def _atomic(path: Path, write: object) -> None:
    """Write through a temporary name in the same folder, then rename: no half-written clip is cached."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))  # type: ignore[operator]
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _generate(clip_set: ClipSet, index: int, out: Path) -> None:
    seed = int(hashlib.sha256(f"{clip_set.key}/{index}".encode()).hexdigest()[:8], 16)
    if clip_set.kind == "tones":
        _write(out, tones(clip_set.seconds, seed), 44100, "FLAC")
    elif clip_set.kind == "speech":
        reference = _read(references_dir(out.parent.parent) / str(clip_set.reference_name(index)))
        _write(out, degrade(reference, seed), SPEECH_RATE, "WAV")
    else:
        synth_with_sox(out, clip_set.seconds, 220.0 + (seed % 600))


def tones(seconds: float, seed: int, rate: int = 44100) -> np.ndarray:
    """1–3 sine tones plus white or smoothed noise at a random level; float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    signal = np.zeros_like(t)
    for _ in range(int(rng.integers(1, 4))):
        signal += rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * rng.uniform(80, 5000) * t + rng.uniform(0, 2 * np.pi))
    noise = rng.normal(size=t.size)
    if rng.random() < 0.5:
        noise = np.convolve(noise, np.ones(8) / 8, mode="same")
    signal += 10 ** (rng.uniform(-50, -15) / 20) * noise
    return (0.9 * signal / max(1e-9, float(np.max(np.abs(signal))))).astype(np.float32)


def degrade(reference: np.ndarray, seed: int) -> np.ndarray:
    """The reference with white noise at 5–30 dB SNR and a gain change of ±6 dB."""
    rng = np.random.default_rng(seed)
    power = float(np.mean(reference.astype(np.float64) ** 2)) or 1e-12
    snr_db = rng.uniform(5, 30)
    noisy = reference + rng.normal(scale=np.sqrt(power / 10 ** (snr_db / 10)), size=reference.size)
    noisy *= 10 ** (rng.uniform(-6, 0) / 20)
    return np.clip(noisy, -1, 1).astype(np.float32)


def _ensure_references(root: Path, clip_set: ClipSet) -> None:
    folder = references_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(clip_set.references):
        path = folder / str(clip_set.reference_name(k))
        if not path.exists():
            _atomic(path, lambda tmp, k=k: _write(tmp, speech(clip_set.seconds, k), SPEECH_RATE, "WAV"))


def speech(seconds: float, k: int) -> np.ndarray:
    """espeak-ng reading sentence k (voice k), resampled by sox to 16 kHz, padded or cut to `seconds`."""
    text = " ".join(SENTENCES[(k + j) % len(SENTENCES)] for j in range(3))
    voice = VOICES[k % len(VOICES)]
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        raw, resampled = Path(tmp) / "raw.wav", Path(tmp) / "16k.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(150 + 10 * (k % 4)), "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", str(raw), "-r", str(SPEECH_RATE), "-b", "16", str(resampled)], check=True, capture_output=True
        )
        samples = _read(resampled)
    n = int(seconds * SPEECH_RATE)
    out = np.zeros(n, dtype=np.float32)
    lead = min(int(0.3 * SPEECH_RATE), n)  # a little silence first, as in a real recording
    body = samples[: n - lead]
    out[lead : lead + body.size] = body
    return out


def synth_with_sox(out: Path, seconds: float, frequency: float) -> None:
    """A tone plus pink noise, written by sox directly as 16-bit FLAC at 22.05 kHz (1 h ≈ 100 MB)."""
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "22050",
            "-c",
            "1",
            "-b",
            "16",
            "-t",
            "flac",
            str(out),
            "synth",
            f"{seconds:g}",
            "sine",
            f"{frequency:g}",
            "synth",
            f"{seconds:g}",
            "pinknoise",
            "mix",
            "vol",
            "0.5",
        ],
        check=True,
        capture_output=True,
    )


def _write(path: Path, samples: np.ndarray, rate: int, fmt: str) -> None:
    import soundfile as sf

    sf.write(str(path), samples, rate, format=fmt, subtype="PCM_16")


def _read(path: Path) -> np.ndarray:
    import soundfile as sf

    samples, _ = sf.read(str(path), dtype="float32", always_2d=False)
    return samples
