"""A transcript's segments as WebVTT and SubRip (SRT) subtitles, written beside the JSON result.

Hand-written, not a library: both formats take a few lines here, while PyPI's `srt` does SubRip
only and `webvtt-py` is a caption reader and HLS segmenter; either would add a pin to the offline
wheelhouse and to RecordResult's NiFi dependencies for what follows.

WebVTT (W3C WebVTT 1): a "WEBVTT" line, then cues separated by blank lines, timings
HH:MM:SS.mmm, cue text with & < > escaped. SRT: numbered cues, timings HH:MM:SS,mmm, text as is.
A cue is one line (a blank line would end it early); cues with no text are left out, start times
never decrease and every cue lasts at least 1 ms, as WebVTT requires. No segments: a WebVTT file
with the header only, an empty SRT file; both valid, with no cues.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from audio_pipeline.transcription.segments import from_json

EXTENSIONS = (".vtt", ".srt")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class Timed(Protocol):
    """What a cue is made of (transcription.segments.Segment has it)."""

    start: float
    end: float
    text: str


def timestamp(seconds: float, separator: str = ".") -> str:
    """HH:MM:SS.mmm (separator "," for SRT); hours grow past 99 rather than wrap."""
    total_ms = max(0, round(seconds * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _cues(segments: Iterable[Timed]) -> list[tuple[float, float, str]]:
    """(start, end, one-line text) in order of start, each at least 1 ms long."""
    cues = []
    for s in segments:
        text = " ".join(s.text.split())
        if not text or not (math.isfinite(s.start) and math.isfinite(s.end)):
            continue
        start = max(0.0, s.start)
        cues.append((start, max(s.end, start + 0.001), text))
    return sorted(cues, key=lambda cue: cue[0])


def to_webvtt(segments: Iterable[Timed]) -> str:
    cues = [f"{timestamp(a)} --> {timestamp(b)}\n{text.translate(_ESCAPES)}" for a, b, text in _cues(segments)]
    return "\n\n".join(["WEBVTT", *cues]) + "\n"


def to_srt(segments: Iterable[Timed]) -> str:
    cues = [
        f"{number}\n{timestamp(a, ',')} --> {timestamp(b, ',')}\n{text}"
        for number, (a, b, text) in enumerate(_cues(segments), start=1)
    ]
    return "\n\n".join(cues) + "\n" if cues else ""


def _replace(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a hidden temporary file beside it, renamed over it."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_beside_result(directory: Path, stem: str, segments_json: str) -> Sequence[Path]:
    """`<stem>.vtt` and `<stem>.srt` in `directory`, from an audio.transcript.segments value.

    The JSON result is `<stem>.json` (stem: audio.output.name), written by PutFile the same way, to
    a hidden file then renamed: a retried or replayed FlowFile rewrites the same two files, so each
    file has one pair of subtitles, complete or absent. Raises ValueError on a stem that is not a
    plain file name or on segments that are not the attribute's JSON.
    """
    if not stem or stem.startswith(".") or "/" in stem or "\\" in stem or "\0" in stem:
        raise ValueError(f"not a file name to write subtitles under: {stem!r}")
    try:
        segments = from_json(segments_json)
    except (TypeError, KeyError, AttributeError) as error:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"audio.transcript.segments is not a list of segments: {error!r}") from error
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}{extension}" for extension in EXTENSIONS]
    for path, text in zip(paths, (to_webvtt(segments), to_srt(segments)), strict=True):
        _replace(path, text)
    return paths
