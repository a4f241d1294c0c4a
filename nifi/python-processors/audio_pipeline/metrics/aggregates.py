"""One worker's counters and histograms in memory: thread-safe updates, exposition, JSON state.

Values are cumulative for the worker slot's whole life (docs/metrics.md §3); the JSON state is
what the slot file holds between processes.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from audio_pipeline.metrics.catalogue import (
    COMPLIANT_VALUES,
    COUNTERS,
    FILES,
    HISTOGRAMS,
    KNOWN_SOURCES,
    LOUDNESS_FILES,
    LOUDNESS_PROFILES,
    OK,
    QUARANTINED,
    SHUTDOWN_KINDS,
    STATUSES,
    TRANSCRIBED_SECONDS,
    WORKER_STARTS,
    CounterDef,
    HistogramDef,
)

logger = logging.getLogger(__name__)

STATE_VERSION = 2  # 1: status labels said success/failure (upgraded on load)
MAX_SERIES_PER_METRIC = 200
OVERFLOW_LABEL_VALUE = "other"


class _Histogram:
    """Bucket counts (non-cumulative, the last one is +Inf), sum and count of one series."""

    __slots__ = ("counts", "sum")

    def __init__(self, size: int) -> None:
        self.counts = [0] * (size + 1)
        self.sum = 0.0

    def observe(self, bounds: Sequence[float], value: float) -> None:
        index = len(bounds)
        for i, bound in enumerate(bounds):
            if value <= bound:
                index = i
                break
        self.counts[index] += 1
        self.sum += value


class Aggregates:
    """Counters and histograms of one worker; thread-safe; serializable to and from JSON."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[tuple[str, ...], float]] = {c.name: {} for c in COUNTERS}
        self._histograms: dict[str, dict[tuple[str, ...], _Histogram]] = {h.name: {} for h in HISTOGRAMS}
        self.generation = 0  # bumped on every change; lets the pusher skip idle saves
        self._add_initial_series()

    def _add_initial_series(self) -> None:
        """Expose the expected series at 0 before their first event.

        A series that appears already at 1 has no increase for `rate()`/`increase()`; starting
        at 0 makes the first file of a source, the first (non-)compliant file of a loudness
        profile, the first transcribed seconds of a source and the first unclean restart visible.
        """
        files = self._counters[FILES.name]
        transcribed = self._counters[TRANSCRIBED_SECONDS.name]
        for source in KNOWN_SOURCES:
            for status in STATUSES:
                files.setdefault((source, status), 0.0)
            transcribed.setdefault((source,), 0.0)
        loudness = self._counters[LOUDNESS_FILES.name]
        for profile in LOUDNESS_PROFILES:
            for compliant in COMPLIANT_VALUES:
                loudness.setdefault((profile, compliant), 0.0)
        starts = self._counters[WORKER_STARTS.name]
        for kind in SHUTDOWN_KINDS:
            starts.setdefault((kind,), 0.0)
        for counter in COUNTERS:
            if not counter.labels:
                self._counters[counter.name].setdefault((), 0.0)

    def _key(self, series: Mapping[tuple[str, ...], object], labels: tuple[str, ...]) -> tuple[str, ...]:
        if labels in series or len(series) < MAX_SERIES_PER_METRIC:
            return labels
        return tuple(OVERFLOW_LABEL_VALUE for _ in labels)

    def inc(self, metric: CounterDef, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        with self._lock:
            series = self._counters[metric.name]
            key = self._key(series, labels)
            series[key] = series.get(key, 0.0) + amount
            self.generation += 1

    def observe(self, metric: HistogramDef, labels: tuple[str, ...], value: float) -> None:
        with self._lock:
            series = self._histograms[metric.name]
            key = self._key(series, labels)
            histogram = series.get(key)
            if histogram is None:
                histogram = series[key] = _Histogram(len(metric.buckets))
            histogram.observe(metric.buckets, value)
            self.generation += 1

    def counter_value(self, metric: CounterDef, labels: tuple[str, ...] = ()) -> float:
        with self._lock:
            return self._counters[metric.name].get(labels, 0.0)

    def histogram_count(self, metric: HistogramDef, labels: tuple[str, ...]) -> int:
        with self._lock:
            histogram = self._histograms[metric.name].get(labels)
            return sum(histogram.counts) if histogram else 0

    def families(self) -> list[Metric]:
        """Prometheus metric families of the current values (no timestamps)."""
        families: list[Metric] = []
        with self._lock:
            for counter in COUNTERS:
                family = CounterMetricFamily(counter.name, counter.help, labels=counter.labels)
                for labels, value in sorted(self._counters[counter.name].items()):
                    family.add_metric(list(labels), value)
                families.append(family)
            for histogram in HISTOGRAMS:
                family = HistogramMetricFamily(histogram.name, histogram.help, labels=histogram.labels)
                for labels, data in sorted(self._histograms[histogram.name].items()):
                    cumulative, buckets = 0, []
                    for bound, count in zip([*histogram.buckets, math.inf], data.counts, strict=True):
                        cumulative += count
                        buckets.append((_bound_text(bound), cumulative))
                    family.add_metric(list(labels), buckets, data.sum)
                families.append(family)
        return families

    def to_json(self) -> dict:
        """The values as a JSON-ready document of the current `STATE_VERSION`."""
        with self._lock:
            return {
                "version": STATE_VERSION,
                "counters": {
                    name: [[list(labels), value] for labels, value in sorted(series.items())]
                    for name, series in self._counters.items()
                },
                "histograms": {
                    h.name: {
                        "buckets": list(h.buckets),
                        "series": [
                            [list(labels), data.counts, data.sum]
                            for labels, data in sorted(self._histograms[h.name].items())
                        ],
                    }
                    for h in HISTOGRAMS
                },
            }

    def load_json(self, document: Mapping) -> bool:
        """Replace the values with a `to_json` document; False (nothing loaded) for another version.

        Unknown or reshaped metrics in the document are skipped.
        """
        document = _upgrade(document)
        if document is None:
            return False
        counters = {c.name: c for c in COUNTERS}
        histograms = {h.name: h for h in HISTOGRAMS}
        with self._lock:
            for name, rows in document.get("counters", {}).items():
                counter = counters.get(name)
                if counter is None:
                    continue
                width = len(counter.labels)
                self._counters[name] = {tuple(labels): float(value) for labels, value in rows if len(labels) == width}
            for name, data in document.get("histograms", {}).items():
                histogram = histograms.get(name)
                if histogram is None or tuple(data.get("buckets", ())) != histogram.buckets:
                    logger.warning("metrics: dropping saved %s (unknown metric or changed buckets)", name)
                    continue
                restored: dict[tuple[str, ...], _Histogram] = {}
                for labels, counts, total in data.get("series", []):
                    if len(labels) != len(histogram.labels) or len(counts) != len(histogram.buckets) + 1:
                        continue
                    series = _Histogram(len(histogram.buckets))
                    series.counts = [int(c) for c in counts]
                    series.sum = float(total)
                    restored[tuple(labels)] = series
                self._histograms[name] = restored
            self._add_initial_series()
            self.generation += 1
        return True


_VERSION_1_STATUS_WORDS = {"success": OK, "failure": QUARANTINED}


def _upgrade(document: Mapping) -> Mapping | None:
    """`document` in the current state version, or None for a version this code does not know."""
    version = document.get("version")
    if version == 1:
        return _from_version_1(document)
    return document if version == STATE_VERSION else None


def _from_version_1(document: Mapping) -> dict:
    """Version 1 said success/failure in `status` labels: rename them, keep every count."""
    label_names = {d.name: d.labels for d in (*COUNTERS, *HISTOGRAMS)}

    def renamed(name: str, labels: list[str]) -> list[str]:
        names = label_names.get(name, ())
        if len(names) != len(labels):
            return labels  # unknown or reshaped: load_json skips it
        return [_VERSION_1_STATUS_WORDS.get(v, v) if n == "status" else v for n, v in zip(names, labels, strict=True)]

    counters = {
        name: [[renamed(name, labels), value] for labels, value in rows]
        for name, rows in document.get("counters", {}).items()
    }
    histograms = {
        name: {**data, "series": [[renamed(name, labels), *rest] for labels, *rest in data.get("series", [])]}
        for name, data in document.get("histograms", {}).items()
    }
    return {**document, "version": STATE_VERSION, "counters": counters, "histograms": histograms}


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


class FamiliesCollector:
    """Adapter so prometheus_client's push and text exposition read an `Aggregates`."""

    def __init__(self, aggregates: Aggregates) -> None:
        self._aggregates = aggregates

    def collect(self) -> list[Metric]:
        return self._aggregates.families()
