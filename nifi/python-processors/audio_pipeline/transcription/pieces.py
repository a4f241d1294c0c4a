"""Where a long file is cut for transcription: between speech regions, so no word is split.

faster-whisper computes the log-mel features of its whole input at once (≈ 1.45 GB for 30 minutes),
so an hour-long file handed over whole would not fit a worker's memory budget. The voice-activity
detector has already found the speech regions; pieces are runs of consecutive regions that span at
most `max_samples`, cut in the pause between two regions. The detector is asked for regions no longer
than a piece, so every region fits in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """Speech from sample `start` up to, not including, sample `end` (of the whole file)."""

    start: int
    end: int


@dataclass(frozen=True)
class Piece:
    """A span of the file handed to the model at once, and the speech regions inside it."""

    start: int
    end: int
    regions: tuple[Region, ...]

    def clips_seconds(self, rate: int) -> list[float]:
        """The regions as faster-whisper's clip_timestamps (start, end, … in seconds from the piece's start)."""
        clips: list[float] = []
        for region in self.regions:
            clips += [(region.start - self.start) / rate, (region.end - self.start) / rate]
        return clips


def plan(regions: Sequence[Region], max_samples: int) -> list[Piece]:
    """Consecutive regions grouped into pieces spanning at most max_samples (a longer region alone)."""
    if max_samples < 1:
        raise ValueError(f"max_samples must be positive, got {max_samples}")
    pieces: list[Piece] = []
    group: list[Region] = []
    for region in sorted(regions, key=lambda r: r.start):
        if region.end <= region.start:
            continue
        if group and region.end - group[0].start > max_samples:
            pieces.append(Piece(group[0].start, group[-1].end, tuple(group)))
            group = []
        group.append(region)
    if group:
        pieces.append(Piece(group[0].start, group[-1].end, tuple(group)))
    return pieces


def rejoined(regions: Sequence[Region], max_samples: int) -> list[Region]:
    """Regions in order, those that touch (a region cut only by the edge of a detection block) joined
    again, as long as the joined region still fits in a piece."""
    joined: list[Region] = []
    for region in sorted(regions, key=lambda r: r.start):
        last = joined[-1] if joined else None
        if last is not None and region.start <= last.end and max(region.end, last.end) - last.start <= max_samples:
            joined[-1] = Region(last.start, max(region.end, last.end))
        else:
            joined.append(region)
    return joined
