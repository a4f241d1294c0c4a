"""Scoring of transcribed items, the table per condition and group, and the targets with pass/fail."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from serving.transcription_eval.normalise import WordErrors, word_errors, words
from serving.transcription_eval.plan import CONDITIONS, NON_SPEECH, Item

WER_CLEAN_REAL = 0.05
WER_TELEPHONE_REAL = 0.10
TELEPHONE = ("telephone µ-law", "telephone GSM")


@dataclass
class Scored:
    condition: str
    group: str
    id: str
    language: str | None
    detected_language: str
    reference: str | None
    hypothesis: str
    seconds: float
    cpu_seconds: float
    wall_seconds: float
    errors: WordErrors = field(default_factory=WordErrors)  # accents as the normalisation keeps them
    errors_folded: WordErrors = field(default_factory=WordErrors)  # accents removed on both sides
    non_speech_words: int = 0


def score(item: Item, hypothesis: str, detected: str, cpu: float, wall: float) -> Scored:
    out = Scored(
        item.condition,
        item.group,
        item.id,
        item.language,
        detected,
        item.reference,
        hypothesis,
        item.seconds,
        cpu,
        wall,
    )
    if item.reference is None:
        out.non_speech_words = len(words(hypothesis, detected))
    else:
        out.errors = word_errors(item.reference, hypothesis, item.language, item.fold_accents)
        out.errors_folded = word_errors(item.reference, hypothesis, item.language, True)
    return out


@dataclass
class Row:
    condition: str
    group: str
    utterances: int = 0
    errors: WordErrors = field(default_factory=WordErrors)
    errors_folded: WordErrors = field(default_factory=WordErrors)
    language_correct: int = 0
    speech_utterances: int = 0
    non_speech_words: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, s: Scored) -> None:
        self.utterances += 1
        self.errors += s.errors
        self.errors_folded += s.errors_folded
        if s.language is not None:
            self.speech_utterances += 1
            self.language_correct += s.detected_language == s.language
        self.non_speech_words += s.non_speech_words
        self.seconds += s.seconds
        self.cpu_seconds += s.cpu_seconds

    @property
    def rtf(self) -> float | None:
        return self.cpu_seconds / self.seconds if self.seconds else None

    def as_dict(self) -> dict[str, object]:
        return {
            "condition": self.condition,
            "group": self.group,
            "utterances": self.utterances,
            "reference_words": self.errors.reference_words,
            "wer": self.errors.wer,
            "wer_accents_folded": self.errors_folded.wer,
            "substitutions": self.errors.substitutions,
            "deletions": self.errors.deletions,
            "insertions": self.errors.insertions,
            "language_correct": self.language_correct,
            "speech_utterances": self.speech_utterances,
            "non_speech_words": self.non_speech_words,
            "audio_seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "rtf": self.rtf,
        }


def rows(scored: list[Scored]) -> list[Row]:
    """One row per (condition, group) in first-seen order, then a total per condition, then a grand total."""
    out: list[Row] = []
    for condition in CONDITIONS:
        mine = [s for s in scored if s.condition == condition]
        if not mine:
            continue
        groups: dict[str, Row] = {}
        total = Row(condition, "total")
        for s in mine:
            groups.setdefault(s.group, Row(condition, s.group)).add(s)
            total.add(s)
        out += list(groups.values())
        if len(groups) > 1:
            out.append(total)
    if len({s.condition for s in scored}) < 2:
        return out
    grand = Row("all", "total")
    for s in scored:
        grand.add(s)
    return [*out, grand]


@dataclass(frozen=True)
class Target:
    name: str
    value: str
    limit: str
    passed: bool


def _wer_target(name: str, group: str, scored: list[Scored], condition: str, limit: float) -> Target | None:
    chosen = [s for s in scored if s.condition == condition and s.group == group]
    if not chosen:
        return None
    total = sum((s.errors for s in chosen), WordErrors())
    return Target(name, f"WER {100 * total.wer:.1f} %", f"≤ {100 * limit:.0f} %", total.wer <= limit)


def targets(scored: list[Scored]) -> list[Target]:
    out: list[Target | None] = []
    for group in sorted({s.group for s in scored if s.group.startswith("real ")}):
        out.append(_wer_target(f"clean, {group}", group, scored, "clean", WER_CLEAN_REAL))
        for condition in TELEPHONE:
            out.append(_wer_target(f"{condition}, {group}", group, scored, condition, WER_TELEPHONE_REAL))
    for group in dict.fromkeys(s.group for s in scored if s.condition == NON_SPEECH):
        clips = [s for s in scored if s.condition == NON_SPEECH and s.group == group]
        n = sum(s.non_speech_words for s in clips)
        out.append(Target(f"no words on {group}", f"{n} words in {len(clips)} clips", "0 words", n == 0))
    return [t for t in out if t is not None]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def table(all_rows: list[Row]) -> str:
    head = (
        "condition",
        "set",
        "utts",
        "ref words",
        "WER %",
        "WER % no acc.",
        "lang ok",
        "non-speech words",
        "audio s",
        "RTF",
    )
    lines = [head]
    for r in all_rows:
        speech = r.errors.reference_words > 0
        lines.append(
            (
                r.condition if r.group != "total" or r.condition == "all" else "",
                r.group,
                str(r.utterances),
                str(r.errors.reference_words) if speech else "-",
                _pct(r.errors.wer),
                _pct(r.errors_folded.wer),
                f"{r.language_correct}/{r.speech_utterances}" if r.speech_utterances else "-",
                str(r.non_speech_words) if r.utterances > r.speech_utterances else "-",
                f"{r.seconds:.0f}",
                f"{r.rtf:.3f}" if r.rtf is not None else "-",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    left = {0, 1}
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(
                c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def targets_text(all_targets: list[Target]) -> str:
    width = max((len(t.name) for t in all_targets), default=0)
    lines = [
        f"  {'PASS' if t.passed else 'FAIL'}  {t.name.ljust(width)}  {t.value}  (target {t.limit})" for t in all_targets
    ]
    return "\n".join(lines)


def document(scored: list[Scored], all_rows: list[Row], all_targets: list[Target], settings: dict) -> dict:
    def item(s: Scored) -> dict:
        d = asdict(s)
        d["errors"] = asdict(s.errors) | {"wer": s.errors.wer}
        d["errors_folded"] = asdict(s.errors_folded) | {"wer": s.errors_folded.wer}
        return d

    return {
        "settings": settings,
        "rows": [r.as_dict() for r in all_rows],
        "targets": [asdict(t) for t in all_targets],
        "items": [item(s) for s in scored],
    }
