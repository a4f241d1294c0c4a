"""Speech sources: espeak-ng voices and languages reading generated text."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import numpy as np

from serving.model_contract import SAMPLE_RATE
from serving.training.synth.dsp import resample, wav_bytes_to_array

WORDS = (
    "the a one two three seven after before house water light morning evening people city river "
    "station train ticket window garden market number system report today tomorrow please thank you "
    "again yes no maybe because while under over between around through every small large green "
    "yellow quiet simple early late open close start finish call message record press key hold line "
    "account balance payment order delivery weather forecast rain wind sunny cloud north south east "
    "west music story child mother father friend teacher doctor office school table chair paper "
    "computer phone number address street corner bridge mountain island ocean forest field animal "
    "horse bird coffee bread cheese apple orange dinner lunch breakfast minute hour second week month "
    "year listen speak answer question problem solution important different possible available "
    "welcome goodbye hello sorry excuse operator service customer support transfer connect waiting"
).split()

ONSETS = ("", "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "sh", "tr", "pl", "st")
VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ei", "ie", "oa")
CODAS = ("", "", "", "n", "m", "s", "r", "l", "t", "k")

VOICE_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")


@functools.cache
def languages() -> tuple[str, ...]:
    """Language codes of the installed espeak-ng voices."""
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True).stdout
    codes = [line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1]
    return tuple(sorted(set(codes)))


@functools.cache
def variants() -> tuple[str, ...]:
    """espeak-ng voice variants (speaker characteristics), without the whisper ones."""
    names = sorted(p.name for p in VOICE_DIR.iterdir()) if VOICE_DIR.is_dir() else []
    names = [n for n in names if " " not in n and "whisper" not in n]
    return tuple(names) or ("m1", "m3", "f1", "f3")


def pseudo_word(rng: np.random.Generator) -> str:
    """A pronounceable made-up word of one to four syllables."""
    return "".join(
        ONSETS[rng.integers(len(ONSETS))] + VOWELS[rng.integers(len(VOWELS))] + CODAS[rng.integers(len(CODAS))]
        for _ in range(int(rng.integers(1, 5)))
    )


def sentence(rng: np.random.Generator, n_words: int) -> str:
    """Text mixing real English words, made-up words and digits, with punctuation for prosody."""
    parts = []
    for i in range(n_words):
        r = rng.random()
        if r < 0.5:
            parts.append(WORDS[rng.integers(len(WORDS))])
        elif r < 0.93:
            parts.append(pseudo_word(rng))
        else:
            parts.append(str(int(rng.integers(0, 10000))))
        if i < n_words - 1 and rng.random() < 0.12:
            parts[-1] += "," if rng.random() < 0.7 else "."
    end = "?" if rng.random() < 0.2 else "."
    return " ".join(parts) + end


def speak(rng: np.random.Generator, language: str, min_words: int = 5, max_words: int = 22) -> np.ndarray:
    """Render one utterance at 16 kHz with a random variant, rate, pitch, pitch range and word gap."""
    variant = variants()[rng.integers(len(variants()))]
    text = sentence(rng, int(rng.integers(min_words, max_words + 1)))
    cmd = [
        "espeak-ng",
        "--stdout",
        "-v",
        f"{language}+{variant}",
        "-s",
        str(int(rng.integers(110, 230))),
        "-p",
        str(int(rng.integers(15, 85))),
        "-g",
        str(int(rng.integers(0, 8))),
        "-a",
        "120",
        text,
    ]
    try:
        wav = subprocess.run(cmd, capture_output=True, check=True, timeout=60).stdout
        x, rate = wav_bytes_to_array(wav)
    except (subprocess.SubprocessError, RuntimeError):
        return np.zeros(0, dtype=np.float32)
    return resample(x, rate, SAMPLE_RATE)


def speech_source(rng: np.random.Generator, language: str) -> np.ndarray:
    """One to three utterances of the same language joined with short pauses."""
    pieces = []
    for _ in range(int(rng.integers(1, 3))):
        x = speak(rng, language)
        if x.size:
            pieces.append(x)
            pieces.append(np.zeros(int(rng.uniform(0.05, 0.4) * SAMPLE_RATE), dtype=np.float32))
    return np.concatenate(pieces) if pieces else np.zeros(SAMPLE_RATE, dtype=np.float32)
