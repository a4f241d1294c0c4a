"""The metrics sink of one worker: cheap recording, and the thread that saves and pushes.

Each process is one worker that PUTs its cumulative values to the Pushgateway under
`job="audio_pipeline", instance=<host>, worker=<slot>`; the design and its guarantees (restarts,
SIGKILL, a Pushgateway outage) are in docs/metrics.md §3.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry, delete_from_gateway, generate_latest, push_to_gateway

from audio_pipeline.metrics.aggregates import Aggregates, FamiliesCollector
from audio_pipeline.metrics.catalogue import RETRIES, STAGE, STAGE_PATTERN, STATUSES, WORKER_STARTS
from audio_pipeline.metrics.environment import DEFAULT_PUSH_INTERVAL_SECONDS
from audio_pipeline.metrics.parsing import label_value, record_file
from audio_pipeline.metrics.slots import Slot

logger = logging.getLogger(__name__)

JOB = "audio_pipeline"
COMPONENT_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class MetricsSink:
    """One worker's aggregates, its slot, and the thread that saves and pushes them."""

    def __init__(
        self,
        component: str,
        *,
        pushgateway_url: str | None,
        state_dir: Path | None,
        interval: float = DEFAULT_PUSH_INTERVAL_SECONDS,
        instance: str | None = None,
        start_thread: bool = True,
        push_timeout: float = 5.0,
    ) -> None:
        if not COMPONENT_PATTERN.fullmatch(component):
            raise ValueError(f"component must be 1-64 of [A-Za-z0-9_.-], not {component!r}")
        self.component = component
        self.pushgateway_url = pushgateway_url
        self.interval = interval
        self.instance = instance or socket.gethostname()
        self.push_timeout = push_timeout
        self.aggregates = Aggregates()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FamiliesCollector(self.aggregates))  # type: ignore[arg-type]
        self._slot = Slot.claim(component, state_dir)
        self._flush_lock = threading.Lock()
        self._dirty_lock = threading.Lock()
        self._dirty = False  # True once something was recorded since the last save began
        self._saved_generation = -1
        self._closed = False
        self._stop = threading.Event()
        self.push_failures = 0
        self.last_push_error: str | None = None

        self.previous_shutdown = self._take_over_slot()
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

    def _take_over_slot(self) -> str:
        """Load the previous owner's counts; how it ended ("first", "clean" or "unclean")."""
        previous = self._slot.load()
        if previous is None:
            return "unclean" if self._slot.was_dirty() else "first"
        restored = self.aggregates.load_json(previous)
        if previous and not restored:
            logger.error("metrics: state %s has another version; starting from zero", self._slot.state_file)
        return "clean" if restored and not self._slot.was_dirty() else "unclean"

    @property
    def worker(self) -> str:
        return self._slot.name

    @property
    def grouping_key(self) -> dict[str, str]:
        return {"instance": self.instance, "worker": self.worker}

    # recording (cheap: no I/O)

    def record_result(self, attributes: Mapping[str, str], status: str, *, now: float | None = None) -> None:
        """Count one file that left the pipeline with `status` (one of `STATUSES`)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        try:
            record_file(self.aggregates, attributes, status, time.time() if now is None else now)
        finally:
            self._note_change()  # after every update: see flush()

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Record the time one file spent in `stage` (a short lowercase name such as "decode")."""
        if not STAGE_PATTERN.match(stage):
            raise ValueError(f"stage must match {STAGE_PATTERN.pattern}, not {stage!r}")
        if math.isfinite(seconds) and seconds >= 0:
            self.aggregates.observe(STAGE, (stage,), seconds)
            self._note_change()

    def count_retry(self, stage: str, reason: str) -> None:
        """Count one retry of a file at `stage`, after a failed attempt with the reason code `reason`."""
        if not STAGE_PATTERN.match(stage):
            raise ValueError(f"stage must match {STAGE_PATTERN.pattern}, not {stage!r}")
        self.aggregates.inc(RETRIES, (stage, label_value(reason)))
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
        """Delete this worker's Pushgateway group (decommissioning only: docs/metrics.md §3)."""
        if self.pushgateway_url is not None:
            delete_from_gateway(
                self.pushgateway_url, job=JOB, grouping_key=self.grouping_key, timeout=self.push_timeout
            )
