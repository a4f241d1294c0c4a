"""Pipeline metrics sink: cheap in-process aggregates, pushed to a Prometheus Pushgateway.

The processors call two functions, both a few dict updates under a lock (≈15 µs and ≈2 µs; no
network I/O, at most one marker-file touch per push interval):

    metrics.record_result(flowfile_attributes, "success")   # or "failure"
    metrics.observe_stage("classify", seconds)               # or `with metrics.time_stage("classify"):`

and `metrics.configure("ClassifyAudio")` once (e.g. in `onScheduled`), `metrics.flush()` in
`onStopped`. No label carries a per-file value (names, hashes, ids); label values are capped
per metric (`MAX_SERIES_PER_METRIC`, extra values become "other").

Transport, and why it survives process restarts
------------------------------------------------
NiFi runs every Python processor in its own process, restarts crashed ones and kills them with
SIGKILL on shutdown, so there is no single process to scrape and no reliable exit hook. Each
process is one *worker*: a background thread pushes the worker's **cumulative** counters and
histograms with PUT (replace) to the Pushgateway every `interval` seconds (default 2), under
the grouping key `job="audio_pipeline", instance=<host>, worker=<worker>`. PromQL aggregates
the workers away (`sum without (worker, instance) (rate(...))`).

The worker name is a *slot* that a restarted process takes over, with its counts:

* With a state directory (`METRICS_STATE_DIR`, else `$PIPELINE_DATA_DIR/state/metrics`) a
  process claims the first free slot `<component>-<n>` by taking an exclusive `flock` on
  `<slot>.lock` (the kernel releases it when the process dies, however it dies). Before each
  push the aggregates are written atomically to `<slot>.json`; a process that takes over the
  slot loads them and continues counting from there. The Pushgateway group therefore shows
  one monotonic series per slot across restarts: no double counting (the group is replaced,
  never added to) and no counter reset. The number of groups stays bounded by the number of
  concurrent processes, so groups of dead processes need not be deleted and are not: a kept
  group holds final, still-correct counter values, while deleting it on stop would drop the
  increments Prometheus had not scraped yet.
* A process killed between two saves loses what it recorded since the last save (at most
  `interval` seconds of counts), and not silently: the first record after a save creates
  `<slot>.dirty` (one tiny file operation per interval), a save removes it, so the next owner
  of the slot knows whether counts were lost and counts
  `audio_pipeline_worker_starts_total{previous_shutdown="unclean"}`. NiFi SIGKILLs its Python
  processes on shutdown; an idle or flushed process is not reported, as nothing was lost.
* A failed push (Pushgateway down) loses nothing: the next push carries the cumulative values.
* Without a state directory the worker is `<component>-<pid>`: every process gets a new
  group that starts at zero, and the groups of dead processes keep their final values. That
  is correct for counters too (a recycled pid looks like a counter reset, which `rate()`
  handles) but the number of groups grows with restarts.

The Pushgateway must run with `--persistence.file` (pipelinectl does) so that a restart of the
gateway does not drop the groups of workers that are not running.

Environment: `PUSHGATEWAY_URL` (or `PUSHGATEWAY_PORT` on 127.0.0.1; "off" disables pushing),
`METRICS_STATE_DIR` / `PIPELINE_DATA_DIR`, `METRICS_PUSH_INTERVAL_SECONDS`, `METRICS_INSTANCE`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from prometheus_client import CollectorRegistry, generate_latest, push_to_gateway
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from audio_pipeline import attributes as attr

logger = logging.getLogger(__name__)

PREFIX = "audio_pipeline_"
JOB = "audio_pipeline"
STATE_VERSION = 1
DEFAULT_INTERVAL_SECONDS = 2.0
MAX_SLOTS = 256
MAX_SERIES_PER_METRIC = 200
MAX_LABEL_VALUE_LENGTH = 64
OVERFLOW_LABEL_VALUE = "other"
UNKNOWN = "unknown"

STATUSES = ("success", "failure")
KNOWN_SOURCES = ("folder", "http")  # values of audio.source set by the flow
SHUTDOWN_KINDS = ("first", "clean", "unclean")
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FALSE_WORDS = frozenset({"", "0", "false", "no", "none", "null"})


@dataclass(frozen=True)
class CounterDef:
    name: str  # without the `_total` suffix, which the exposition adds
    help: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistogramDef:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]


FILES = CounterDef(PREFIX + "files", "Files that finished the pipeline, by source and status.", ("source", "status"))
CLASSIFICATIONS = CounterDef(PREFIX + "classifications", "Successful files by predicted class.", ("class",))
QUALITY = CounterDef(PREFIX + "quality", "Successful files by PESQ quality label.", ("label",))
FAILURES = CounterDef(PREFIX + "failures", "Failed files by reason (the audio.error code).", ("reason",))
FINGERPRINT_MATCHES = CounterDef(PREFIX + "fingerprint_matches", "Successful files that matched the catalog.")
DUPLICATES = CounterDef(PREFIX + "duplicates", "Successful files found to duplicate an earlier file.")
AUDIO_SECONDS = CounterDef(PREFIX + "audio_seconds", "Seconds of audio in files that finished.", ("source",))
WORKER_STARTS = CounterDef(
    PREFIX + "worker_starts",
    "Metric worker slot claims: first use, or taken over after a clean end or one that lost counts (unclean).",
    ("previous_shutdown",),
)

PESQ_MOS = HistogramDef(
    PREFIX + "pesq_mos",
    "PESQ MOS-LQO of successful files, by PESQ mode.",
    ("mode",),
    (1.0, 1.5, 2.0, 2.5, 3.0, 3.25, 3.5, 3.75, 4.0, 4.25, 4.5),
)
CONFIDENCE = HistogramDef(
    PREFIX + "classification_confidence",
    "Confidence of the predicted class of successful files.",
    ("class",),
    (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99),
)
DURATION = HistogramDef(
    PREFIX + "audio_duration_seconds",
    "Duration of the audio in files that finished.",
    ("source",),
    (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
STAGE = HistogramDef(
    PREFIX + "stage_duration_seconds",
    "Processing time of one file in one pipeline stage.",
    ("stage",),
    (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LATENCY = HistogramDef(
    PREFIX + "end_to_end_latency_seconds",
    "Time from ingest (audio.ingested.at) to the result, by source and status.",
    ("source", "status"),
    (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)

COUNTERS: tuple[CounterDef, ...] = (
    FILES,
    CLASSIFICATIONS,
    QUALITY,
    FAILURES,
    FINGERPRINT_MATCHES,
    DUPLICATES,
    AUDIO_SECONDS,
    WORKER_STARTS,
)
HISTOGRAMS: tuple[HistogramDef, ...] = (PESQ_MOS, CONFIDENCE, DURATION, STAGE, LATENCY)


def metric_names() -> list[str]:
    """Every exposed family name (counters with `_total`)."""
    return [c.name + "_total" for c in COUNTERS] + [h.name for h in HISTOGRAMS]


# --- attribute parsing -------------------------------------------------------------------------


def _label(value: str | None) -> str:
    """A bounded, printable label value ("unknown" when missing)."""
    if value is None:
        return UNKNOWN
    value = value.strip()
    if not value:
        return UNKNOWN
    return value[:MAX_LABEL_VALUE_LENGTH]


def _number(value: str | None) -> float | None:
    """A finite float from an attribute, or None."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _FALSE_WORDS


# --- aggregates --------------------------------------------------------------------------------


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
        at 0 makes the first file of a source and the first unclean restart visible.
        """
        files = self._counters[FILES.name]
        for source in KNOWN_SOURCES:
            for status in STATUSES:
                files.setdefault((source, status), 0.0)
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
        with self._lock:
            return {
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

    def load_json(self, document: Mapping) -> None:
        """Replace the values with a `to_json` document; unknown or reshaped metrics are skipped."""
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


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


class _FamiliesCollector:
    """Adapter so prometheus_client's push and text exposition read an `Aggregates`."""

    def __init__(self, aggregates: Aggregates) -> None:
        self._aggregates = aggregates

    def collect(self) -> list[Metric]:
        return self._aggregates.families()


# --- worker slot and state file ----------------------------------------------------------------


class _Slot:
    """An exclusively locked worker name with its state file (see the module docstring)."""

    def __init__(self, name: str, lock_handle: IO[str] | None, state_file: Path | None) -> None:
        self.name = name
        self.lock_handle = lock_handle
        self.state_file = state_file
        self.dirty_file = state_file.with_suffix(".dirty") if state_file is not None else None

    @classmethod
    def claim(cls, component: str, state_dir: Path | None) -> _Slot:
        if state_dir is None:
            return cls(f"{component}-{os.getpid()}", None, None)
        state_dir.mkdir(parents=True, exist_ok=True)
        for index in range(MAX_SLOTS):
            name = f"{component}-{index}"
            handle = open(state_dir / f"{name}.lock", "a+", encoding="utf-8")  # held while the slot is ours
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            return cls(name, handle, state_dir / f"{name}.json")
        raise RuntimeError(f"metrics: all {MAX_SLOTS} worker slots of {component!r} in {state_dir} are taken")

    def load(self) -> dict | None:
        if self.state_file is None:
            return None
        try:
            document = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.error("metrics: unreadable state %s (%s); starting from zero", self.state_file, error)
            return {"lost": True}
        if document.get("version") != STATE_VERSION:
            logger.error("metrics: state %s has another version; starting from zero", self.state_file)
            return {"lost": True}
        return document

    def was_dirty(self) -> bool:
        """True if the previous owner recorded counts after its last save (they are lost)."""
        return self.dirty_file is not None and self.dirty_file.exists()

    def mark_dirty(self) -> None:
        if self.dirty_file is not None:
            try:
                self.dirty_file.touch()
            except OSError as error:
                logger.error("metrics: cannot create %s: %s", self.dirty_file, error)

    def mark_saved(self) -> None:
        if self.dirty_file is not None:
            self.dirty_file.unlink(missing_ok=True)

    def save(self, aggregates: Aggregates) -> None:
        if self.state_file is None:
            return
        document = {
            "version": STATE_VERSION,
            "worker": self.name,
            "pid": os.getpid(),
            "saved_at": time.time(),
            **aggregates.to_json(),
        }
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=f".{self.state_file.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, separators=(",", ":"))
            os.replace(tmp, self.state_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def release(self) -> None:
        if self.lock_handle is not None:
            self.lock_handle.close()  # closing the descriptor drops the flock
            self.lock_handle = None


# --- the sink ----------------------------------------------------------------------------------


def _env_pushgateway_url(env: Mapping[str, str]) -> str | None:
    url = env.get("PUSHGATEWAY_URL", "").strip()
    if url.lower() == "off":
        return None
    if url:
        return url
    return f"http://127.0.0.1:{env.get('PUSHGATEWAY_PORT', '').strip() or '9091'}"


def _env_state_dir(env: Mapping[str, str]) -> Path | None:
    explicit = env.get("METRICS_STATE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    data_dir = env.get("PIPELINE_DATA_DIR", "").strip()
    return Path(data_dir) / "state" / "metrics" if data_dir else None


class MetricsSink:
    """One worker's aggregates, its slot, and the thread that saves and pushes them."""

    def __init__(
        self,
        component: str,
        *,
        pushgateway_url: str | None,
        state_dir: Path | None,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        instance: str | None = None,
        start_thread: bool = True,
        push_timeout: float = 5.0,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", component):
            raise ValueError(f"component must be 1-64 of [A-Za-z0-9_.-], not {component!r}")
        self.component = component
        self.pushgateway_url = pushgateway_url
        self.interval = interval
        self.instance = instance or socket.gethostname()
        self.push_timeout = push_timeout
        self.aggregates = Aggregates()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_FamiliesCollector(self.aggregates))  # type: ignore[arg-type]
        self._slot = _Slot.claim(component, state_dir)
        self._flush_lock = threading.Lock()
        self._dirty_lock = threading.Lock()
        self._dirty = False  # True once something was recorded since the last save began
        self._saved_generation = -1
        self._closed = False
        self._stop = threading.Event()
        self.push_failures = 0
        self.last_push_error: str | None = None

        previous = self._slot.load()
        if previous is None:
            self.previous_shutdown = "unclean" if self._slot.was_dirty() else "first"
        else:
            lost = previous.get("lost", False) or self._slot.was_dirty()
            self.previous_shutdown = "unclean" if lost else "clean"
            self.aggregates.load_json(previous)
        self.aggregates.inc(WORKER_STARTS, (self.previous_shutdown,))
        if self.previous_shutdown == "unclean":
            logger.warning("metrics: the previous process of %s died with unsaved counts; they are lost", self.worker)
        self._slot.save(self.aggregates)
        self._slot.mark_saved()
        self._saved_generation = self.aggregates.generation

        self._thread: threading.Thread | None = None
        if start_thread and interval > 0:
            self._thread = threading.Thread(target=self._run, name=f"metrics-push-{self.worker}", daemon=True)
            self._thread.start()

    @property
    def worker(self) -> str:
        return self._slot.name

    @property
    def grouping_key(self) -> dict[str, str]:
        return {"instance": self.instance, "worker": self.worker}

    # recording (cheap: no I/O)

    def record_result(self, attributes: Mapping[str, str], status: str, *, now: float | None = None) -> None:
        """Count one file that left the pipeline with `status` ("success" or "failure")."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        try:
            self._record(attributes, status, time.time() if now is None else now)
        finally:
            self._note_change()  # after every update: see flush()

    def _record(self, attributes: Mapping[str, str], status: str, now: float) -> None:
        source = _label(attributes.get(attr.SOURCE))
        aggregates = self.aggregates
        aggregates.inc(FILES, (source, status))

        duration = _number(attributes.get(attr.DURATION_SECONDS))
        if duration is not None and duration >= 0:
            aggregates.inc(AUDIO_SECONDS, (source,), duration)
            aggregates.observe(DURATION, (source,), duration)

        ingested_ms = _number(attributes.get(attr.INGESTED_AT))
        if ingested_ms is not None:
            latency = now - ingested_ms / 1000.0
            if latency >= 0:
                aggregates.observe(LATENCY, (source, status), latency)

        if status == "failure":
            aggregates.inc(FAILURES, (_label(attributes.get(attr.ERROR)),))
            return

        predicted = attributes.get(attr.CLASS)
        if predicted:
            aggregates.inc(CLASSIFICATIONS, (_label(predicted),))
            confidence = _number(attributes.get(attr.CLASS_CONFIDENCE))
            if confidence is not None:
                aggregates.observe(CONFIDENCE, (_label(predicted),), confidence)
        quality = attributes.get(attr.QUALITY_LABEL)
        if quality:
            aggregates.inc(QUALITY, (_label(quality),))
        mos = _number(attributes.get(attr.PESQ_MOS))
        if mos is not None:
            aggregates.observe(PESQ_MOS, (_label(attributes.get(attr.PESQ_MODE)),), mos)
        if _truthy(attributes.get(attr.FINGERPRINT_MATCH)):
            aggregates.inc(FINGERPRINT_MATCHES)
        if _truthy(attributes.get(attr.DUPLICATE_OF)):
            aggregates.inc(DUPLICATES)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Record the time one file spent in `stage` (a short lowercase name such as "decode")."""
        if not STAGE_PATTERN.match(stage):
            raise ValueError(f"stage must match {STAGE_PATTERN.pattern}, not {stage!r}")
        if math.isfinite(seconds) and seconds >= 0:
            self.aggregates.observe(STAGE, (stage,), seconds)
            self._note_change()

    def _note_change(self) -> None:
        """Called after recording: the first change after a save leaves a dirty marker on disk."""
        if self._dirty:
            return
        with self._dirty_lock:
            if not self._dirty:
                self._slot.mark_dirty()
                self._dirty = True

    @contextlib.contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """Time the block with a monotonic clock and `observe_stage` it (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe_stage(stage, time.perf_counter() - started)

    # persistence and transport

    def exposition(self) -> bytes:
        """The current values in the Prometheus text format (what is pushed)."""
        return generate_latest(self.registry)

    def flush(self) -> bool:
        """Save the state file, then push; True if the Pushgateway holds the current values.

        The dirty flag is cleared before the snapshot and the marker file removed only if nothing
        was recorded meanwhile, so a marker is never missing while unsaved counts exist.
        """
        with self._flush_lock:
            with self._dirty_lock:
                self._dirty = False  # before the snapshot: a later record marks dirty again
            generation = self.aggregates.generation
            if generation != self._saved_generation:
                try:
                    self._slot.save(self.aggregates)
                    self._saved_generation = generation
                except OSError as error:
                    logger.error("metrics: cannot save %s: %s", self._slot.state_file, error)
                    self._dirty = True
            with self._dirty_lock:
                if not self._dirty:
                    self._slot.mark_saved()
            if self.pushgateway_url is None:
                return False
            # Push every round, changed or not: a Pushgateway that lost its groups is refilled.
            try:
                push_to_gateway(
                    self.pushgateway_url,
                    job=JOB,
                    registry=self.registry,
                    grouping_key=self.grouping_key,
                    timeout=self.push_timeout,
                )
            except Exception as error:  # network, HTTP 4xx/5xx: keep counting, retry next round
                self.push_failures += 1
                if self.last_push_error != str(error):
                    logger.warning("metrics: push to %s failed: %s", self.pushgateway_url, error)
                self.last_push_error = str(error)
                return False
            self.last_push_error = None
            return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # never let the pusher thread die
                logger.exception("metrics: flush failed")

    def close(self) -> bool:
        """Stop the pusher, save and push a final time and release the slot."""
        if self._closed:
            return True
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.push_timeout + 1)
        pushed = self.flush()
        self._closed = True
        self._slot.release()
        return pushed

    def delete_group(self) -> None:
        """Delete this worker's Pushgateway group (decommissioning only: see the module docstring)."""
        if self.pushgateway_url is not None:
            from prometheus_client import delete_from_gateway

            delete_from_gateway(
                self.pushgateway_url, job=JOB, grouping_key=self.grouping_key, timeout=self.push_timeout
            )


# --- module-level API used by the processors ---------------------------------------------------

_sink: MetricsSink | None = None
_sink_lock = threading.Lock()
_atexit_registered = False


def configure(
    component: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **options: object,
) -> MetricsSink:
    """Create this process's sink once (later calls return it); settings come from `env`.

    `component` names the worker slot (the processor type, e.g. "ClassifyAudio"; default
    `METRICS_COMPONENT` or "python"). `options` override `MetricsSink` keyword arguments.
    """
    global _sink, _atexit_registered
    with _sink_lock:
        if _sink is not None:
            if component is not None and component != _sink.component:
                logger.info("metrics: sink already configured as %s; ignoring %s", _sink.component, component)
            return _sink
        source = os.environ if env is None else env
        kwargs: dict[str, object] = {
            "pushgateway_url": _env_pushgateway_url(source),
            "state_dir": _env_state_dir(source),
            "interval": float(source.get("METRICS_PUSH_INTERVAL_SECONDS", "") or DEFAULT_INTERVAL_SECONDS),
            "instance": source.get("METRICS_INSTANCE", "") or None,
        }
        kwargs.update(options)
        name = component or source.get("METRICS_COMPONENT", "") or "python"
        _sink = MetricsSink(name, **kwargs)  # type: ignore[arg-type]
        if not _atexit_registered:
            import atexit

            atexit.register(close)  # best effort: NiFi kills Python processes with SIGKILL
            _atexit_registered = True
        return _sink


def sink() -> MetricsSink:
    """The process's sink, configured from the environment on first use."""
    return _sink if _sink is not None else configure()


def record_result(attributes: Mapping[str, str], status: str) -> None:
    """Count one finished file (status "success" or "failure") from its FlowFile attributes."""
    sink().record_result(attributes, status)


def observe_stage(stage: str, seconds: float) -> None:
    """Record the time one file spent in `stage`."""
    sink().observe_stage(stage, seconds)


def time_stage(stage: str) -> contextlib.AbstractContextManager[None]:
    """`with time_stage("decode"): ...` records the block's duration."""
    return sink().time_stage(stage)


def flush() -> bool:
    """Save and push now (call from `onStopped`); True if the push succeeded."""
    return _sink.flush() if _sink is not None else True


def close() -> None:
    """Final save and push, then forget the sink (a later call configures a new one)."""
    global _sink
    with _sink_lock:
        current, _sink = _sink, None
    if current is not None:
        current.close()


def _forget_after_fork() -> None:
    global _sink, _sink_lock
    _sink = None  # a forked child must not push under its parent's slot
    _sink_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
