"""The text normalisation that reference and transcript both go through before words are compared,
and the word error rate (jiwer's alignment) over the normalised words.

Normalisation, in this order:

1. Unicode NFC, then lowercase (`str.lower`: "ß" stays "ß").
2. Digit-group separators removed: a comma, full stop, space, no-break space or narrow no-break space
   between a digit and exactly three digits ("1,000", "1.000", "1 000" -> "1000").
3. Numbers spelled out: every run of digits becomes the cardinal in words in the utterance's language
   (serving/transcription_eval/numbers.py; en, es, fr, de), so "3" and "tres" compare equal. We
   spell out digits rather than map words to digits: the table is small and exact in that direction.
4. Hyphens inside words are removed, joining the parts ("ré-enregistrer" and "réenregistrer" are
   one word either way); all other punctuation and symbols (Unicode categories P* and S*:
   apostrophes, quotes, "#", "%", dashes between words) become spaces, so "d'agent" -> "d agent".
5. Accents are kept ("número" and "numero" differ). `fold_accents=True` removes combining marks
   (NFKD, drop category Mn, NFC): used where the reference text itself lacks its accents.
6. Whitespace collapsed; the words are the space-separated tokens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jiwer

from serving.transcription_eval.numbers import spell

_GROUP_SEPARATOR = re.compile(r"(?<=\d)[,. \u00a0\u202f](?=\d{3}(?!\d))")
_DIGITS = re.compile(r"\d+")
_WORD_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")


def normalise(text: str, language: str, fold_accents: bool = False) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    text = _GROUP_SEPARATOR.sub("", text)
    text = _DIGITS.sub(lambda m: f" {spell(int(m.group()), language)} ", text)
    text = _WORD_HYPHEN.sub("", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    if fold_accents:
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
    return " ".join(text.split())


def words(text: str, language: str, fold_accents: bool = False) -> list[str]:
    return normalise(text, language, fold_accents).split()


@dataclass(frozen=True)
class WordErrors:
    """Alignment counts of one or more utterances; WER = (S + D + I) / reference words."""

    reference_words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float | None:
        return self.errors / self.reference_words if self.reference_words else None

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.reference_words + other.reference_words,
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
        )


def word_errors(reference: str, hypothesis: str, language: str, fold_accents: bool = False) -> WordErrors:
    """Errors of `hypothesis` against `reference`, both normalised; the reference must have words."""
    ref = normalise(reference, language, fold_accents)
    if not ref:
        raise ValueError(f"reference {reference!r} has no words after normalisation")
    hyp = normalise(hypothesis, language, fold_accents)
    out = jiwer.process_words(ref, hyp)
    return WordErrors(len(ref.split()), out.substitutions, out.deletions, out.insertions)
