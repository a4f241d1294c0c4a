"""What the evaluation transcribes: conditions, the utterances of each, and the full and quick sizes.

Every degraded condition uses the first utterances of the clean set (the same recordings and
sentences), so differences between conditions come from the condition, not from other material.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from serving.transcription_eval import corpus, signals
from serving.transcription_eval.corpus import Utterance
from serving.transcription_eval.sentences import SENTENCES, VOICES

NON_SPEECH = "non-speech"
LONG = "long input"
LONG_MIN_SECONDS = 180.0


@dataclass(frozen=True)
class Sizes:
    synthetic: dict[str, int]  # voice -> sentences in the clean condition
    real: int  # prompts per language in the clean condition
    degraded_synthetic: dict[str, int]  # voice -> sentences in each degraded condition
    degraded_real: dict[str, int]  # condition -> prompts per language
    long: tuple[str, ...]  # groups made into one long file each
    long_seconds: float
    non_speech_seconds: float


# Sized for the CPU budget: a short utterance costs about 3 CPU s (one 30 s encoder window and a beam
# search), a 3 minute file of prompts about 30 CPU s; full takes about 12 minutes of one core, quick about 1.
FULL = Sizes(
    synthetic={"en-us": 6, "en-gb": 6, "es": 6, "fr": 6, "de": 6},
    real=40,
    degraded_synthetic={"en-us": 1, "en-gb": 1, "es": 1, "fr": 1, "de": 1},
    degraded_real={"noise 10 dB": 5, "noise 0 dB": 5, "telephone µ-law": 10, "telephone GSM": 10},
    long=("real fr", "real es"),
    long_seconds=LONG_MIN_SECONDS,
    non_speech_seconds=10.0,
)
QUICK = Sizes(
    synthetic={"en-us": 1, "es": 1},
    real=2,
    degraded_synthetic={},
    degraded_real={"noise 10 dB": 1, "noise 0 dB": 1, "telephone µ-law": 1, "telephone GSM": 1},
    long=("real fr",),
    long_seconds=60.0,
    non_speech_seconds=5.0,
)
LONG_POOL = 60  # prompts (real) the long file is made from, in sample order

# en-gb speaks the second half of the English sentences, en-us the first.
SENTENCE_OFFSET = {"en-gb": 10}


def seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def _noise(snr: float, kind: str) -> Callable[[Utterance, str], np.ndarray]:
    def degrade(u: Utterance, condition: str) -> np.ndarray:
        noise = signals.NOISES[kind](len(u.samples), seed(condition, u.id))
        return signals.mix_at_snr(u.samples, noise, snr).mixed

    return degrade


def _telephone(codec: str) -> Callable[[Utterance, str], np.ndarray]:
    return lambda u, condition: signals.telephone(u.samples, codec)


DEGRADATIONS: dict[str, Callable[[Utterance, str], np.ndarray]] = {
    "noise 10 dB": _noise(10.0, "pink"),
    "noise 0 dB": _noise(0.0, "pink"),
    "telephone µ-law": _telephone("mulaw"),
    "telephone GSM": _telephone("gsm"),
}
CONDITIONS = ("clean", *DEGRADATIONS, LONG, NON_SPEECH)


@dataclass
class Item:
    condition: str
    group: str  # "synthetic en-us", "real fr", or the kind of non-speech clip
    id: str
    language: str | None  # expected language; None for non-speech
    reference: str | None  # None for non-speech (must give no words)
    samples: np.ndarray = field(repr=False)
    fold_accents: bool = False

    @property
    def seconds(self) -> float:
        return len(self.samples) / signals.RATE


def _item(condition: str, u: Utterance, samples: np.ndarray) -> Item:
    return Item(condition, u.group, u.id, u.language, u.text, samples, u.fold_accents)


def build(sizes: Sizes, conditions: tuple[str, ...] = CONDITIONS, log: Callable[[str], None] = print) -> list[Item]:
    """Every item to transcribe, in condition order (deterministic)."""
    log("building the speech set: espeak-ng sentences, Asterisk core sounds (es, fr)")
    synth: dict[str, list[Utterance]] = {}
    for voice, count in sizes.synthetic.items():
        start = SENTENCE_OFFSET.get(voice, 0)
        synth[voice] = corpus.synthetic(voice, list(range(start, start + count)))
    real = {language: corpus.real(language, sizes.real) for language in corpus.REAL_LANGUAGES}
    for language, got in real.items():
        if len(got) < sizes.real:
            raise RuntimeError(f"only {len(got)} usable {language} prompts, {sizes.real} wanted")
    items: list[Item] = []
    if "clean" in conditions:
        for group in [*synth.values(), *real.values()]:
            items += [_item("clean", u, u.samples) for u in group]
    for condition, degrade in DEGRADATIONS.items():
        if condition not in conditions:
            continue
        chosen = [u for voice, n in sizes.degraded_synthetic.items() for u in synth[voice][:n]]
        chosen += [u for group in real.values() for u in group[: sizes.degraded_real[condition]]]
        log(f"  {condition}: {len(chosen)} utterances")
        items += [_item(condition, u, degrade(u, condition)) for u in chosen]
    if LONG in conditions:
        for group in sizes.long:
            source, name = group.split(" ", 1)
            if source == "real":
                pool = corpus.real(name, LONG_POOL)
            else:
                pool = corpus.synthetic(name, list(range(len(SENTENCES[VOICES[name][0]]))))
            long = corpus.concatenate(pool, sizes.long_seconds, seed(LONG, group))
            log(f"  {LONG}: {group}, {long.seconds:.0f} s")
            items.append(_item(LONG, long, long.samples))
    if NON_SPEECH in conditions:
        for i, (kind, samples) in enumerate(signals.non_speech_clips(sizes.non_speech_seconds)):
            items.append(Item(NON_SPEECH, kind, f"{NON_SPEECH}/{i}", None, None, samples))
    return items


def warmup_samples() -> np.ndarray:
    return corpus.espeak("Warming up the model.", "en-us")
