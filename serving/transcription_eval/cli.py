"""./scripts/transcription-eval: WER and real-time factor of the transcriber, per condition and language.

Speech set (built here, nothing reserved): espeak-ng speaking known sentences (voices en-us, en-gb,
es, fr, de) and real recordings with known text from Debian's asterisk-core-sounds-es/-fr (fetched
into build/ with apt-get download). Conditions: clean; pink noise at 10 and 0 dB SNR; telephone band
(300-3400 Hz, 8 kHz, G.711 µ-law or GSM 06.10 round trip through ffmpeg); long input (utterances with
pauses, >= 3 minutes); non-speech clips (music, noise, silence, hum) that must give no words.

RTF is CPU seconds of this process (every thread: VAD, model) per second of audio, for the
transcribe call alone (model loading and one warm-up call excluded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from serving.transcription_eval import plan, report
from serving.transcription_eval.engine import DEFAULT_MODEL_DIR, Engine
from serving.transcription_eval.normalise import __doc__ as NORMALISATION
from serving.transcription_eval.signals import __doc__ as SIGNALS


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="transcription-eval",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="WER n" + NORMALISATION.split("\n\n", 1)[1][1:] + "\n" + SIGNALS.split("\n\n")[-1],
    )
    parser.add_argument("--quick", action="store_true", help="a small subset of every condition (under two minutes)")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR, help=f"default: {DEFAULT_MODEL_DIR}")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write rows, targets and every transcript here")
    parser.add_argument(
        "--language",
        choices=("auto", "given"),
        default="auto",
        help="auto: the model identifies the language, as the pipeline does by default (default); "
        "given: each utterance's language is passed to the transcriber",
    )
    parser.add_argument(
        "--conditions",
        default=",".join(plan.CONDITIONS),
        help=f"comma-separated subset of: {', '.join(plan.CONDITIONS)}",
    )
    args = parser.parse_args(argv)
    args.conditions = tuple(c.strip() for c in args.conditions.split(",") if c.strip())
    unknown = sorted(set(args.conditions) - set(plan.CONDITIONS))
    if unknown:
        parser.error(f"unknown conditions {unknown}; choose from {', '.join(plan.CONDITIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    items = plan.build(plan.QUICK if args.quick else plan.FULL, args.conditions, _log)
    position = {(i.condition, i.id): n for n, i in enumerate(items)}  # the table keeps this order
    if args.language == "given":  # one model load per language
        items.sort(key=lambda i: (i.language or "", position[(i.condition, i.id)]))
    audio = sum(i.seconds for i in items)
    _log(f"transcribing {len(items)} items, {audio:.0f} s of audio, with {args.model_dir}")
    engine = Engine(args.model_dir, warmup=plan.warmup_samples())
    scored: list[report.Scored] = []
    for n, item in enumerate(items, 1):
        language = item.language if args.language == "given" else None
        engine.prepare(language)  # model loading and warm-up stay out of the timings
        cpu, wall = time.process_time(), time.perf_counter()
        result = engine.transcribe(item.samples, language)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        s = report.score(item, result.text, result.language, cpu, wall)
        scored.append(s)
        wer = s.errors.wer
        _log(
            f"[{n}/{len(items)}] {item.condition:16} {item.id:36.36} {item.seconds:6.1f} s  cpu {cpu:5.1f} s  "
            + (f"WER {100 * wer:5.1f} %" if wer is not None else f"{s.non_speech_words} words")
            + f"  [{result.language}] {result.text[:70]!r}"
        )
    scored.sort(key=lambda s: position[(s.condition, s.id)])
    rows = report.rows(scored)
    targets = report.targets(scored)
    elapsed = time.monotonic() - started
    print(
        f"Transcription evaluation ({'quick' if args.quick else 'full'}): model {args.model_dir}, "
        f"language {args.language}, {len(items)} items, {audio:.0f} s of audio, {elapsed:.0f} s"
    )
    print()
    print(report.table(rows))
    print()
    print("WER: normalised (lowercase, punctuation and symbols removed, digits spelled out in the language,")
    print("accents kept; `no acc.`: accents removed too). Real es is scored without accents in both columns:")
    print("its reference texts are written without them. RTF: CPU s per audio s. lang ok: identified language.")
    print()
    print("Targets:")
    print(report.targets_text(targets))
    if args.json:
        settings = {
            "quick": args.quick,
            "model_dir": str(args.model_dir),
            "language": args.language,
            "conditions": list(args.conditions),
            "elapsed_seconds": round(elapsed, 1),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(report.document(scored, rows, targets, settings), indent=2, ensure_ascii=False) + "\n"
        )
        print(f"\nwrote {args.json}")
    return 0
