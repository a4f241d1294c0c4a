"""The evaluation's speech: utterances spoken by espeak-ng from known sentences, and real recordings
with known text from Debian's Asterisk core sounds (Spanish and French).

Real recordings: the `-wav` package holds usr/share/asterisk/sounds/<voice>/<name>.wav (8 kHz), the
sibling text package usr/share/doc/asterisk-core-sounds-XX/core-sounds-XX.txt.gz, lines "name: text".
The English core sounds are never used: asterisk-core-sounds-en-wav is evaluation-reserved, and the
-gsm and -g722 packages are the same recordings in other codecs.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from serving.training import debian_audio
from serving.transcription_eval.normalise import words
from serving.transcription_eval.sentences import SENTENCES, VOICES
from serving.transcription_eval.signals import RATE, set_speech_level

# The recordings of the reserved English package exist in other codecs too; refuse them all.
SAME_RECORDINGS_AS_RESERVED = frozenset(
    {
        "asterisk-core-sounds-en",
        "asterisk-core-sounds-en-wav",
        "asterisk-core-sounds-en-gsm",
        "asterisk-core-sounds-en-g722",
    }
)
REAL_LANGUAGES = ("es", "fr")
MIN_WORDS, MAX_WORDS, MAX_SECONDS = 4, 20, 15.0


@dataclass(frozen=True)
class Utterance:
    id: str
    source: str  # "synthetic" or "real"
    voice: str  # espeak-ng voice, or the Asterisk voice directory
    language: str
    text: str
    samples: np.ndarray  # float32, 16 kHz, active speech level SPEECH_LEVEL_DBFS
    fold_accents: bool = False  # the reference text lacks its accents: compare without them

    @property
    def group(self) -> str:
        return f"{self.source} {self.voice if self.source == 'synthetic' else self.language}"

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def check_allowed(packages: list[str] | tuple[str, ...]) -> None:
    """Refuse reserved packages (the shared list) and the English core sounds in any codec."""
    debian_audio.check_not_reserved(packages)
    bad = sorted(p for p in packages if p in SAME_RECORDINGS_AS_RESERVED or p.startswith("asterisk-core-sounds-en"))
    if bad:
        raise RuntimeError(f"evaluation-reserved recordings (asterisk-core-sounds-en-wav in another form): {bad}")


def to_rate(x: np.ndarray, rate: int) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.ndim > 1:
        x = x.mean(axis=1)
    return x if rate == RATE else soxr.resample(x, rate, RATE).astype(np.float32)


# ------------------------------------------------------------------------------------------------
# Synthetic speech


def espeak(text: str, voice: str) -> np.ndarray:
    _, variant, wpm = VOICES[voice]
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        subprocess.run(
            ["espeak-ng", "-v", f"{voice}+{variant}" if variant else voice, "-s", str(wpm), "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        x, rate = soundfile.read(wav, dtype="float32")
    return set_speech_level(to_rate(x, rate))


def synthetic(voice: str, indices: list[int]) -> list[Utterance]:
    language = VOICES[voice][0]
    sentences = SENTENCES[language]
    return [
        Utterance(f"{voice}/{i:02d}", "synthetic", voice, language, sentences[i], espeak(sentences[i], voice))
        for i in indices
    ]


# ------------------------------------------------------------------------------------------------
# Real recordings: Asterisk core sounds

_PROMPT_LINE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_./-]*):\s*(.*?)\s*$")


def parse_prompts(lines: list[str]) -> dict[str, str]:
    """name -> text from core-sounds-XX.txt lines. Comments (";"), blank lines and lines without
    text are skipped; a name listed twice with different texts is dropped (which is right is unknown)."""
    seen: dict[str, set[str]] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        match = _PROMPT_LINE.match(line.strip())
        if match and match.group(2):
            seen.setdefault(match.group(1), set()).add(match.group(2))
    return {name: next(iter(texts)) for name, texts in seen.items() if len(texts) == 1}


def usable_text(text: str, language: str) -> bool:
    """A whole spoken sentence: no [tone] or (beep) annotations, no "..." fragments, 4-20 words."""
    if re.search(r"[\[\](){}<>]|\.\.\.|…", text):
        return False
    return MIN_WORDS <= len(words(text, language)) <= MAX_WORDS


def sample_order(language: str, names: list[str]) -> list[str]:
    """A fixed pseudo-random order (by sha256 of language and name): independent of file order."""
    return sorted(names, key=lambda name: hashlib.sha256(f"{language}:{name}".encode()).hexdigest())


def asterisk_packages(language: str) -> tuple[str, str]:
    return f"asterisk-core-sounds-{language}", f"asterisk-core-sounds-{language}-wav"


def real(language: str, count: int, root: Path | None = None) -> list[Utterance]:
    """The first `count` usable prompts of `language` in sample order (fetched into build/ once)."""
    packages = asterisk_packages(language)
    check_allowed(packages)
    dirs = debian_audio.fetch(packages) if root is None else debian_audio.fetch(packages, root)
    text_pkg, wav_pkg = (dirs[p] for p in packages)
    doc = text_pkg / "usr" / "share" / "doc" / packages[0] / f"core-sounds-{language}.txt.gz"
    prompts = parse_prompts(gzip.open(doc, "rt", encoding="utf-8").read().splitlines())
    (voice_dir,) = sorted((wav_pkg / "usr" / "share" / "asterisk" / "sounds").iterdir())
    # The Spanish prompt texts are mostly written without accents ("numero", "contrasena").
    fold = language == "es"
    out: list[Utterance] = []
    for name in sample_order(language, [n for n, t in prompts.items() if usable_text(t, language)]):
        wav = voice_dir / f"{name}.wav"
        if not wav.is_file():
            continue
        x, rate = soundfile.read(wav, dtype="float32")
        if len(x) / rate > MAX_SECONDS:
            continue
        out.append(
            Utterance(
                f"{language}/{name}",
                "real",
                voice_dir.name,
                language,
                prompts[name],
                set_speech_level(to_rate(x, rate)),
                fold,
            )
        )
        if len(out) == count:
            break
    return out


# ------------------------------------------------------------------------------------------------
# Long input


def concatenate(utterances: list[Utterance], min_seconds: float, seed: int) -> Utterance:
    """Utterances joined with 0.5-1.5 s pauses (seeded), cycling through them until `min_seconds`."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    texts: list[str] = []
    total, i = 0, 0
    while total < min_seconds * RATE:
        u = utterances[i % len(utterances)]
        pause = np.zeros(int(rng.uniform(0.5, 1.5) * RATE), np.float32)
        parts += [u.samples, pause]
        texts.append(u.text)
        total += len(u.samples) + len(pause)
        i += 1
    first = utterances[0]
    return Utterance(
        f"long/{first.group.replace(' ', '-')}/{i}",
        first.source,
        first.voice,
        first.language,
        " ".join(texts),
        np.concatenate(parts),
        first.fold_accents,
    )
