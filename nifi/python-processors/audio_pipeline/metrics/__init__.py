"""Pipeline metrics: cheap in-process aggregates, pushed to a Prometheus Pushgateway.

The processors call, per process, `configure("ClassifyAudio")` once (e.g. in `onScheduled`),
`time_stage("classify")` or `observe_stage(...)` per file and stage, `record_result(attributes,
status)` for each finished file and `flush()` in `onStopped`. The metrics, this API, the package's
modules and the transport design: docs/metrics.md.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from collections.abc import Mapping

from audio_pipeline.metrics import environment
from audio_pipeline.metrics.catalogue import COUNTERS, HISTOGRAMS, KNOWN_SOURCES, STATUSES, metric_names
from audio_pipeline.metrics.transport import MetricsSink

__all__ = [
    "COUNTERS",
    "HISTOGRAMS",
    "KNOWN_SOURCES",
    "STATUSES",
    "MetricsSink",
    "close",
    "configure",
    "count_retry",
    "flush",
    "metric_names",
    "observe_stage",
    "record_result",
    "sink",
    "time_stage",
]

logger = logging.getLogger(__name__)

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
        kwargs = environment.sink_options(source)
        kwargs.update(options)
        _sink = MetricsSink(component or environment.component(source), **kwargs)  # type: ignore[arg-type]
        if not _atexit_registered:
            atexit.register(close)  # best effort: NiFi kills Python processes with SIGKILL
            _atexit_registered = True
        return _sink


def sink() -> MetricsSink:
    """The process's sink, configured from the environment on first use."""
    return _sink if _sink is not None else configure()


def record_result(attributes: Mapping[str, str], status: str) -> None:
    """Count one finished file (status one of `STATUSES`) from its FlowFile attributes."""
    sink().record_result(attributes, status)


def observe_stage(stage: str, seconds: float) -> None:
    """Record the time one file spent in `stage`."""
    sink().observe_stage(stage, seconds)


def count_retry(stage: str, reason: str) -> None:
    """Count one retry NiFi made of a file at `stage`, after a failure with the reason code `reason`."""
    sink().count_retry(stage, reason)


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
