"""The soak's figures from what was recorded: how each POST ended, which files came out how often, the
back-pressure bound of the committed flow, and memory trends (pure functions, unit-tested)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

# How a POST can end. Only `refused_503` is an acceptable refusal: ListenHTTP answers 503 while its
# outgoing queue is at its back-pressure threshold; anything else is a fault of the flow or its host.
POST_KINDS = ("accepted", "refused_503", "other_status", "connection_error", "timeout")


def classify(status: int | None, error: BaseException | None = None) -> str:
    """One of POST_KINDS for a response status (or the exception raised instead of a response)."""
    if error is not None:
        # requests' ConnectTimeout is both a Timeout and a ConnectionError: a hung connect is a timeout
        return "timeout" if isinstance(error, requests.Timeout) else "connection_error"
    if status == 200:
        return "accepted"
    return "refused_503" if status == 503 else "other_status"


def post_counts(kinds: Iterable[str]) -> dict[str, int]:
    """Every kind of POST_KINDS with its count (0 when none), plus `sent`."""
    counts = Counter(kinds)
    unknown = set(counts) - set(POST_KINDS)
    if unknown:
        raise ValueError(f"unknown POST outcomes: {sorted(unknown)}")
    return {kind: counts.get(kind, 0) for kind in POST_KINDS} | {"sent": sum(counts.values())}


def outcome_counts(accepted: Iterable[str], refused: Iterable[str], outcome_names: Iterable[str]) -> dict[str, int]:
    """Lost = accepted files that did not end as exactly one result or quarantined file (`outcome_names`:
    the `filename` attribute of every outcome JSON, once per JSON): none (`missing`) or several
    (`duplicated`). Also refused files that came out all the same (a 503 must mean "not taken")."""
    seen = Counter(outcome_names)
    accepted = set(accepted)
    missing = sum(1 for name in accepted if seen[name] == 0)
    duplicated = sum(1 for name in accepted if seen[name] > 1)
    return {
        "lost": missing + duplicated,
        "missing": missing,
        "duplicated": duplicated,
        "refused_but_processed": sum(1 for name in set(refused) if seen[name] > 0),
    }


# -- back-pressure --------------------------------------------------------------------------------


def _group_connections(group: dict[str, Any], name: str) -> Iterable[tuple[tuple[str, str, str], int]]:
    for connection in group.get("connections", []):
        key = (name, connection["source"]["name"], connection["destination"]["name"])
        yield key, int(connection.get("backPressureObjectThreshold") or 0)
    for child in group.get("processGroups", []):
        yield from _group_connections(child, child["name"])


def committed_thresholds(flow_snapshot: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """(group name, source name, destination name) → backPressureObjectThreshold of the committed flow
    (the pipeline group itself is group ""). Connections sharing a key keep the smallest threshold."""
    found: dict[tuple[str, str, str], int] = {}
    for key, threshold in _group_connections(flow_snapshot["flowContents"], ""):
        found[key] = min(threshold, found.get(key, threshold))
    return found


def queue_bound(flow_snapshot: dict[str, Any]) -> int:
    """The most FlowFiles the pipeline group can hold while every queue is at its threshold: their sum.
    Each queue stops its source at its own threshold, so the group's total cannot pass this (bar the
    overshoot of one scheduling round per queue, which the per-queue check below shows)."""
    return sum(threshold for _, threshold in _group_connections(flow_snapshot["flowContents"], ""))


def connection_depths(status: dict[str, Any]) -> dict[str, tuple[tuple[str, str, str], int]]:
    """From a recursive `processGroupStatus`: connection id → ((group name, source, destination), queued),
    with the top group named "" as in committed_thresholds."""
    found: dict[str, tuple[tuple[str, str, str], int]] = {}

    def walk(snapshot: dict[str, Any], name: str) -> None:
        for entry in snapshot.get("connectionStatusSnapshots") or []:
            connection = entry.get("connectionStatusSnapshot") or {}
            key = (name, connection.get("sourceName", ""), connection.get("destinationName", ""))
            found[entry.get("id") or connection.get("id", "")] = (key, int(connection.get("flowFilesQueued") or 0))
        for entry in snapshot.get("processGroupStatusSnapshots") or []:
            child = entry.get("processGroupStatusSnapshot") or {}
            walk(child, child.get("name", ""))

    walk(status.get("aggregateSnapshot") or {}, "")
    return found


def over_threshold(
    deepest: dict[str, tuple[tuple[str, str, str], int]], thresholds: dict[tuple[str, str, str], int]
) -> list[dict[str, Any]]:
    """The queues whose deepest sample passed their committed threshold (unknown connections: none)."""
    out = []
    for key, depth in deepest.values():
        threshold = thresholds.get(key)
        if threshold and depth > threshold:
            out.append({"queue": label(key), "max_queued": depth, "threshold": threshold})
    return out


def label(key: tuple[str, str, str]) -> str:
    group, source, destination = key
    return f"{group + ': ' if group else ''}{source} → {destination}"


# -- trends ---------------------------------------------------------------------------------------


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value units per minute; NaN below 2 distinct times."""
    points = [(t, v) for t, v in points if v is not None and not math.isnan(v)]
    if len(points) < 2:
        return math.nan
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return math.nan
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def second_half(points: Sequence[tuple[float, float]], start_s: float, end_s: float) -> list[tuple[float, float]]:
    """The points from the middle of [start_s, end_s] on: the first half is the flow filling up."""
    middle = (start_s + end_s) / 2
    return [(t, v) for t, v in points if middle <= t <= end_s]


@dataclass
class Window:
    """One sampling window: the deepest queue, the heap's least (≈ after a GC) and most, mean RSS."""

    start_s: float
    end_s: float
    samples: int
    queued_max: int | None
    heap_min_mb: float | None
    heap_max_mb: float | None
    jvm_rss_mb: float | None
    rss_mb: dict[str, float]

    @property
    def middle_s(self) -> float:
        return (self.start_s + self.end_s) / 2


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def windows(samples: Sequence[dict[str, Any]], window_s: float, end_s: float) -> list[Window]:
    """Samples ({"t", "queued", "heap_mb", "jvm_rss_mb", "rss_mb"}, t in seconds from the start) grouped
    into consecutive windows of `window_s` up to `end_s`; windows without samples are left out."""
    out = []
    count = max(1, math.ceil(end_s / window_s - 1e-9))
    for i in range(count):
        start, end = i * window_s, min((i + 1) * window_s, end_s)
        inside = [s for s in samples if start <= s["t"] < end or (i == count - 1 and s["t"] == end)]
        if not inside:
            continue
        queued = [s["queued"] for s in inside if s.get("queued") is not None]
        heap = [s["heap_mb"] for s in inside if s.get("heap_mb") is not None]
        jvm = [s["jvm_rss_mb"] for s in inside if s.get("jvm_rss_mb") is not None]
        rss: dict[str, list[float]] = {}
        for s in inside:
            for name, value in (s.get("rss_mb") or {}).items():
                rss.setdefault(name, []).append(value)
        out.append(
            Window(
                start,
                end,
                len(inside),
                max(queued) if queued else None,
                min(heap) if heap else None,
                max(heap) if heap else None,
                _mean(jvm),
                {name: sum(v) / len(v) for name, v in sorted(rss.items())},
            )
        )
    return out


def after_gc(samples: Sequence[dict[str, Any]]) -> list[tuple[float, float]]:
    """(t, used heap) of the samples taken just after a collection (the collectors' count rose since the
    sample before): the heap's live data plus at most one interval's allocation."""
    points = []
    previous: int | None = None
    for s in samples:
        count = s.get("gc_count")
        if count is None or s.get("heap_mb") is None:
            continue
        if previous is not None and count > previous:
            points.append((s["t"], s["heap_mb"]))
        previous = count
    return points


def trends(series: Sequence[Window], end_s: float, samples: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Slopes over the second half (MB per minute): the heap after GC, the JVM's RSS, and each Python
    process's RSS (by "label (pid N)": a restarted process is a new series).

    The heap after GC is taken from the samples that followed a collection (at least 2 in the second
    half, else no slope), and from the window minima only without collection counts: a window shorter
    than the time between young collections (about 2 min with a 2 GB heap at 0.3 files/s) has none in
    it, and its minimum is just the heap filling up."""
    heap = [(w.middle_s, w.heap_min_mb) for w in series if w.heap_min_mb is not None]
    collected = second_half(after_gc(samples), 0.0, end_s)
    jvm = [(w.middle_s, w.jvm_rss_mb) for w in series if w.jvm_rss_mb is not None]
    names = sorted({name for w in series for name in w.rss_mb})
    python = {}
    for name in names:
        points = [(w.middle_s, w.rss_mb[name]) for w in series if name in w.rss_mb]
        python[name] = {
            "first_mb": points[0][1],
            "last_mb": points[-1][1],
            "max_mb": max(v for _, v in points),
            "slope_mb_per_min": slope_per_minute(second_half(points, 0.0, end_s)),
        }
    window_slope = slope_per_minute(second_half(heap, 0.0, end_s))
    if len(collected) >= 2:
        heap_slope, basis = slope_per_minute(collected), f"{len(collected)} samples after a GC"
    elif any(s.get("gc_count") is not None for s in samples):
        heap_slope, basis = math.nan, f"{len(collected)} GC in the second half, too few for a slope: feed longer"
    else:  # no collection counts: the window minima are all there is
        heap_slope, basis = window_slope, "window minima"
    return {
        "heap_after_gc_slope_mb_per_min": heap_slope,
        "heap_after_gc_basis": basis,
        "heap_window_min_slope_mb_per_min": window_slope,
        "heap_after_gc_points": after_gc(samples),
        "jvm_rss_slope_mb_per_min": slope_per_minute(second_half(jvm, 0.0, end_s)),
        "python": python,
    }


def parse_duration(text: str) -> float:
    """Seconds from "600", "90s", "10m", "1.5h"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise ValueError(f"expected a duration such as 600, 90s, 10m or 1h, not {text!r}")
    seconds = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if seconds <= 0:
        raise ValueError("the duration must be > 0")
    return seconds
