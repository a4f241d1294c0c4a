"""Build the labelled one-second-window dataset from synthetic and allowed real sources, deterministically.

Every source gets its own random generator seeded from (seed, kind, index), so the result does not
depend on worker scheduling. Sources are grouped (an espeak language, a MIDI piece, a real file) and
whole groups go to the held-out split, so no test window shares a source with a training window.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.model_contract import ACTIVE_MIN_DB, BUILD_DIR, CLASS_NAMES, SAMPLE_RATE, SILENCE_MAX_DB, WINDOW_SAMPLES
from serving.training import debian_audio
from serving.training.synth import augment, music, noise, speech, tones
from serving.training.synth.dsp import active_db, read_audio

DATASET_VERSION = 4
TEST_PERCENT = 20
KIND_IDS = {"espeak": 1, "midi": 2, "gm_fx": 3, "noise": 4, "tone": 5, "silence": 6, "file": 7}

# Sources per kind at scale 1.0 and windows cut from each.
DEFAULT_COUNTS = {"espeak": 760, "midi": 300, "gm_fx": 90, "noise": 620, "tone": 760, "silence": 720}
WINDOWS_PER_SOURCE = {"espeak": 4, "midi": 8, "gm_fx": 4, "noise": 4, "tone": 4, "silence": 4}
SOURCE_SECONDS = {"midi": 20.0, "gm_fx": 6.0, "noise": 5.0, "tone": 5.0, "silence": 5.0}
FILE_WINDOWS = {"music": 25, "speech": 2, "noise": 2, "tone": 2, "silence": 1}
# Real sound effects and tones are few: each file is used several times with different augmentations.
FILE_REPEATS = {"music": 1, "speech": 1, "noise": 4, "tone": 4, "silence": 1}


@dataclass(frozen=True)
class Spec:
    """One source to generate (or read) and cut into windows."""

    label: str
    kind: str
    index: int
    group: str
    split: str
    max_windows: int
    param: str = ""  # espeak language, or the file path for real recordings


def split_of(seed: int, group: str) -> str:
    """Deterministic group-level split."""
    return "test" if zlib.crc32(f"{seed}:{group}".encode()) % 100 < TEST_PERCENT else "train"


def make_specs(seed: int, scale: float = 1.0, use_real: bool = True) -> list[Spec]:
    """All sources of the dataset."""
    specs: list[Spec] = []
    count = {k: max(2, round(v * scale)) for k, v in DEFAULT_COUNTS.items()}
    langs = speech.languages()
    for i in range(count["espeak"]):
        lang = langs[i % len(langs)]
        group = f"espeak:{lang}"
        specs.append(Spec("speech", "espeak", i, group, split_of(seed, group), WINDOWS_PER_SOURCE["espeak"], lang))
    for kind, label in (
        ("midi", "music"),
        ("gm_fx", "noise"),
        ("noise", "noise"),
        ("tone", "tone"),
        ("silence", "silence"),
    ):
        for i in range(count[kind]):
            group = f"{kind}:{i}"
            specs.append(Spec(label, kind, i, group, split_of(seed, group), WINDOWS_PER_SOURCE[kind]))
    if use_real:
        files = debian_audio.labelled_files(debian_audio.TRAIN_PACKAGES, BUILD_DIR / "debian-audio")
        index = 0
        for pkg, path, label in files:
            group = f"file:{pkg}:{path.relative_to(BUILD_DIR / 'debian-audio' / pkg)}"
            for _ in range(FILE_REPEATS[label]):
                specs.append(Spec(label, "file", index, group, split_of(seed, group), FILE_WINDOWS[label], str(path)))
                index += 1
    return specs


@functools.cache
def _beds(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Small fixed pools used as backgrounds: music (under speech) and speech (over music, like vocals)."""
    rng = np.random.default_rng([seed, 99])
    music_bed = np.concatenate([music.music_source(rng, 12.0) for _ in range(4)])
    langs = speech.languages()
    speech_bed = np.concatenate([speech.speech_source(rng, langs[int(rng.integers(len(langs)))]) for _ in range(8)])
    return music_bed, speech_bed


def render_source(spec: Spec, seed: int) -> np.ndarray:
    """The clean source signal of a spec."""
    rng = np.random.default_rng([seed, KIND_IDS[spec.kind], spec.index, 1])
    if spec.kind == "espeak":
        x = speech.speech_source(rng, spec.param)
        return x[: int(14 * SAMPLE_RATE)]
    if spec.kind == "midi":
        return music.music_source(rng, SOURCE_SECONDS["midi"])
    if spec.kind == "gm_fx":
        return music.effect_source(rng, SOURCE_SECONDS["gm_fx"])
    if spec.kind == "noise":
        return noise.noise_source(rng, SOURCE_SECONDS["noise"])
    if spec.kind == "tone":
        return tones.tone_source(rng, SOURCE_SECONDS["tone"])
    if spec.kind == "silence":
        quiet = None
        if rng.random() < 0.5:
            quiet = noise.noise_source(rng, SOURCE_SECONDS["silence"])
        return augment.silence_source(rng, SOURCE_SECONDS["silence"], quiet)
    return read_audio(spec.param, max_seconds=240.0)


def cut_windows(rng: np.random.Generator, x: np.ndarray, count: int) -> list[np.ndarray]:
    """Random one-second windows; short sources are zero-padded; some windows mimic the client's padded tail."""
    n = WINDOW_SAMPLES
    if len(x) < n:  # mostly padded at the end, as the client pads a short file
        start = 0 if rng.random() < 0.6 else int(rng.integers(0, n - len(x) + 1))
        return [np.pad(x, (start, n - len(x) - start))]
    k = min(count, max(1, len(x) // n))
    out = []
    for _ in range(k):
        start = int(rng.integers(0, len(x) - n + 1))
        w = x[start : start + n].copy()
        if rng.random() < 0.08:
            keep = int(rng.uniform(0.25, 0.95) * n)
            w[keep:] = 0.0
        out.append(w)
    return out


def window_label(w: np.ndarray, label: str) -> str | None:
    """The source label, "silence" when the window is below the silence level, None when ambiguous."""
    if label == "silence":
        return label if active_db(w) < SILENCE_MAX_DB else None
    level = active_db(w)
    if level < SILENCE_MAX_DB:
        return "silence"
    return label if level >= ACTIVE_MIN_DB else None


def build_one(spec: Spec, seed: int) -> tuple[np.ndarray, list[int], list[str]]:
    """Render, augment and cut one source: (windows float16 [k, 16000], label ids, augmentation steps)."""
    rng = np.random.default_rng([seed, KIND_IDS[spec.kind], spec.index, 2])
    try:
        x = render_source(spec, seed)
        extra = None
        if spec.label in ("speech", "music") and rng.random() < 0.35:
            music_bed, speech_bed = _beds(seed)
            extra = music_bed if spec.label == "speech" else speech_bed
        y, steps = augment.augment(rng, x, spec.label, extra)
    except Exception as exc:  # a broken source is skipped (and logged), not fatal
        print(f"skip {spec.group} #{spec.index}: {type(exc).__name__}: {exc}", flush=True)
        return np.zeros((0, WINDOW_SAMPLES), np.float16), [], []
    windows, labels = [], []
    for w in cut_windows(rng, y, spec.max_windows):
        lab = window_label(w, spec.label)
        if lab is not None:
            windows.append(w)
            labels.append(CLASS_NAMES.index(lab))
    arr = np.stack(windows).astype(np.float16) if windows else np.zeros((0, WINDOW_SAMPLES), np.float16)
    return arr, labels, steps


def _build_star(args: tuple[Spec, int]) -> tuple[Spec, np.ndarray, list[int], list[str]]:
    spec, seed = args
    return (spec, *build_one(spec, seed))


def build(seed: int, scale: float, workers: int, use_real: bool = True, verbose: bool = True) -> dict:
    """Build every window; returns arrays and per-window metadata for both splits."""
    specs = make_specs(seed, scale, use_real)
    t0 = time.time()
    xs: list[np.ndarray] = []
    ys: list[int] = []
    groups: list[str] = []
    splits: list[str] = []
    kinds: list[str] = []
    steps_count: Counter[str] = Counter()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        for i, (spec, arr, labels, steps) in enumerate(pool.imap(_build_star, [(s, seed) for s in specs], chunksize=4)):
            xs.append(arr)
            ys.extend(labels)
            groups.extend([spec.group] * len(labels))
            splits.extend([spec.split] * len(labels))
            kinds.extend([spec.kind] * len(labels))
            steps_count.update(steps)
            if verbose and (i + 1) % 500 == 0:
                print(f"  {i + 1}/{len(specs)} sources, {len(ys)} windows, {time.time() - t0:.0f}s", flush=True)
    x = np.concatenate(xs) if xs else np.zeros((0, WINDOW_SAMPLES), np.float16)
    return {
        "x": x,
        "y": np.asarray(ys, np.int32),
        "group": np.asarray(groups),
        "split": np.asarray(splits),
        "kind": np.asarray(kinds),
        "augmentations": dict(steps_count),
        "n_sources": len(specs),
        "seconds": time.time() - t0,
    }


def cache_path(seed: int, scale: float, use_real: bool) -> Path:
    """Where a built dataset is cached (under the git-ignored build directory)."""
    packages = sorted(debian_audio.TRAIN_PACKAGES) if use_real else []
    key = hashlib.sha1(json.dumps([DATASET_VERSION, seed, scale, use_real, packages]).encode()).hexdigest()[:10]
    return BUILD_DIR / f"dataset-{key}.npz"


def load_or_build(seed: int, scale: float, workers: int | None = None, use_real: bool = True) -> dict:
    """Load the cached dataset or build (and cache) it.

    The reserved list is checked before the cache too: a package reserved after a dataset was cached
    must stop training, not be read back from the cache.
    """
    if use_real:
        debian_audio.check_not_reserved(tuple(debian_audio.TRAIN_PACKAGES))
    path = cache_path(seed, scale, use_real)
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            out = {k: data[k] for k in data.files}
        out["augmentations"] = json.loads(str(out["augmentations"]))
        out["seconds"] = float(out["seconds"])
        out["n_sources"] = int(out["n_sources"])
        return out
    data = build(seed, scale, workers or min(2, os.cpu_count() or 1), use_real)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **{**data, "augmentations": json.dumps(data["augmentations"])})
    tmp.replace(path)
    return data


def describe(data: dict) -> dict:
    """Counts per split and class, for logs and the training metadata."""
    out: dict = {}
    for split in ("train", "test"):
        mask = data["split"] == split
        counts = np.bincount(data["y"][mask], minlength=len(CLASS_NAMES))
        out[split] = {name: int(c) for name, c in zip(CLASS_NAMES, counts, strict=True)}
    out["sources"] = int(data["n_sources"])
    return out
