"""`./scripts/results`: list and filter recent pipeline results in a terminal table.

    results [-n 20] [--status ok|quarantined] [--source folder|http|catalog] [--since 2h|2024-05-01T10:00]
            [--name '*.mp3'] [--compliant|--non-compliant] [--text 'budget meeting'] [--json]

The table shows integrated loudness (LUFS), true peak (dBTP) and the loudness verdict ("yes
ebu-r128", or "no ebu-r128 +4.1 dB" with the gain that would bring the file to the profile's
target), and a transcribed file's language and the start of its transcript; --text keeps the files
whose transcript holds all the given words (the database's full-text search); --json prints every
column of the row.

Reads the same database the flow writes (pipelinectl.results_database).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from datetime import datetime, timedelta

from audio_pipeline import database_credentials
from audio_pipeline.database import DatabaseError, default_sqlite_path, open_database, redact
from audio_pipeline.results_store import SOURCES, STATUSES, Result, ResultsStore

from pipelinectl import results_database
from pipelinectl.settings import load

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'90s', '30m', '2h', '7d', '1w' ago, or an ISO date/time (naive means local time)."""
    now = now or datetime.now().astimezone()
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a duration (30m, 2h, 7d) or ISO date/time: {text!r}") from exc
    return value if value.tzinfo else value.astimezone()


def like_pattern(text: str) -> str:
    """Shell-style wildcards (* ?) become LIKE (% _); a plain word matches anywhere in the name.

    Literal % and _ (common in file names) are escaped with a backslash, as `recent` expects.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in text or "?" in text:
        return escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _compliance(r: Result) -> str:
    """The loudness verdict: "yes <profile>", "no <profile> <gain> dB", or "" when not measured."""
    if r.loudness_compliant is None:
        return ""
    cell = f"{'yes' if r.loudness_compliant else 'no'} {r.loudness_profile or ''}".strip()
    if not r.loudness_compliant and r.loudness_gain_db is not None:
        cell += f" {r.loudness_gain_db:+.1f} dB"
    return cell


TRANSCRIPT_CHARS = 60  # the table shows the start of a transcript; --json has all of it


def _transcript(r: Result) -> str:
    """The transcript's start, "(no words)" for a transcribed file without any, "" when not transcribed."""
    if r.transcript is None:
        return ""
    if not r.transcript:
        return "(no words)"
    return r.transcript if len(r.transcript) <= TRANSCRIPT_CHARS else r.transcript[: TRANSCRIPT_CHARS - 1] + "…"


def _row_cells(r: Result) -> list[str]:
    cls = r.audio_class or ""
    if r.audio_class and r.class_confidence is not None:
        cls += f" ({r.class_confidence:.2f})"
    quality = _number(r.pesq_mos)
    if r.quality_label:
        quality = f"{quality} {r.quality_label}".strip()
    match = r.fingerprint_match or ""
    if match and r.fingerprint_offset_seconds is not None:
        match += f" @{r.fingerprint_offset_seconds:.1f}s"
    return [
        r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        r.status,
        r.source or "",
        r.filename or "",
        _number(r.duration_seconds, 1),
        cls,
        quality,
        _number(r.loudness_integrated_lufs, 1),
        _number(r.loudness_true_peak_dbtp, 1),
        _compliance(r),
        match,
        r.duplicate_of or "",
        r.transcript_language or "",
        _transcript(r),
        r.error or "",
    ]


HEADERS = [
    "time",
    "status",
    "source",
    "file",
    "secs",
    "class",
    "PESQ",
    "LUFS",
    "dBTP",
    "loudness",
    "match",
    "duplicate of",
    "lang",
    "transcript",
    "error",
]
# Columns that give up width first when the terminal is narrow (widest first).
_SHRINKABLE = ("error", "file", "match", "duplicate of", "class", "loudness", "transcript")
# Columns left out, in this order, when the shrunk table still does not fit (the newest columns
# first: a terminal as narrow as before they came shows the table it showed then).
_DROPPABLE = ("transcript", "lang", "dBTP", "LUFS", "loudness", "duplicate of", "match")
# Columns left out when empty in every row: a listing without transcripts looks as it did before them.
_ONLY_WHEN_SET = ("lang", "transcript")


def render_table(rows: list[Result], width: int) -> str:
    """A plain-text table that fits `width` columns, truncating long cells with an ellipsis."""
    headers = list(HEADERS)
    cells = [_row_cells(r) for r in rows]
    for name in _ONLY_WHEN_SET:
        index = headers.index(name)
        if not any(c[index] for c in cells):
            for line in (headers, *cells):
                del line[index]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    gap = 2

    def total(ws: list[int]) -> int:
        return sum(ws) + gap * (len(ws) - 1)

    shrunk = [min(w, 8) if h in _SHRINKABLE else w for h, w in zip(headers, widths, strict=True)]
    for name in _DROPPABLE:  # leave out whole columns only when shrinking cannot make it fit
        if total(shrunk) <= width:
            break
        if name not in headers:
            continue
        index = headers.index(name)
        for line in (headers, widths, shrunk, *cells):
            del line[index]
    while total(widths) > width:
        candidates = [i for i, h in enumerate(headers) if h in _SHRINKABLE and widths[i] > 8]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: max(0, w - 1)] + "…"

    lines = []
    for line in [headers, *cells]:
        lines.append((" " * gap).join(fit(c, w).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    lines.insert(1, (" " * gap).join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="results", description="List recent pipeline results.")
    parser.add_argument("-n", "--limit", type=int, default=20, help="rows to show (default 20)")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--source", choices=SOURCES)
    parser.add_argument("--since", type=parse_since, help="e.g. 30m, 2h, 7d, or 2024-05-01T10:00")
    parser.add_argument("--name", help="file name filter: a substring, or a pattern with * and ?")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--compliant", dest="compliant", action="store_const", const=True, help="files that met their loudness profile"
    )
    loudness.add_argument(
        "--non-compliant", dest="compliant", action="store_const", const=False, help="files that missed it"
    )
    parser.add_argument("--text", help="files whose transcript holds all these words (any order and case)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args(argv)

    settings = load()
    url = database_credentials.with_password(*results_database.location(settings))
    if url.startswith("sqlite:"):
        path = default_sqlite_path(settings.data_dir)
        if not settings.results_database_url and not path.exists():
            print(f"no results yet ({path} does not exist)", file=sys.stderr)
            return 0
    try:
        store = ResultsStore(open_database(url, settings.data_dir))
        try:
            rows = store.recent(
                limit=args.limit,
                status=args.status,
                source=args.source,
                since=args.since,
                filename_like=like_pattern(args.name) if args.name else None,
                compliant=args.compliant,
                text=args.text,
            )
        finally:
            store.close()
    except DatabaseError as exc:
        print(f"cannot read results from {redact(url) or 'the SQLite database'}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        for r in rows:
            print(json.dumps(r.as_dict(), sort_keys=True))
        return 0
    if not rows:
        print("no matching results", file=sys.stderr)
        return 0
    print(render_table(rows, shutil.get_terminal_size((160, 24)).columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
