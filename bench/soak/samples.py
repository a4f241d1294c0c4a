"""What the soak samples while it feeds: the pipeline group's queues (NiFi REST, recursive group status),
NiFi's used heap (system diagnostics) and the RSS of the JVM and of each Python process it started."""

from __future__ import annotations

import threading
import time
from typing import Any

import psutil

from bench.memory import MB, label
from bench.soak.figures import connection_depths
from pipelinectl.nifi.rest_client import NiFiClient


def used_heap_mb(nifi: NiFiClient) -> tuple[float, float, int]:
    """(used, max) heap of the NiFi JVM in MB, and how many collections its collectors have run."""
    snapshot = nifi.get("/system-diagnostics", timeout=10)["systemDiagnostics"]["aggregateSnapshot"]
    collections = sum(int(gc.get("collectionCount") or 0) for gc in snapshot.get("garbageCollection") or [])
    return snapshot["usedHeapBytes"] / MB, (snapshot.get("maxHeapBytes") or 0) / MB, collections


def python_rss_mb(java: psutil.Process) -> tuple[float | None, dict[str, float]]:
    """RSS of the JVM and of each Python process below it ("label (pid N)": bench.memory names them)."""
    try:
        jvm = java.memory_info().rss / MB
        children = java.children(recursive=True)
    except psutil.NoSuchProcess:
        return None, {}
    found = {}
    for child in children:
        name = label(child)
        if name is None or name == "ExecuteStreamCommand worker":
            continue
        try:
            found[f"{name} (pid {child.pid})"] = child.memory_info().rss / MB
        except psutil.NoSuchProcess:
            continue
    return jvm, found


class Sampler:
    """Samples every `interval_s` in a background thread, from `with` to its end; t in seconds from
    `start` (time.monotonic()). A failed REST call leaves that figure None and is counted."""

    def __init__(
        self, nifi: NiFiClient, group_id: str, java_pid: int | None, start: float, interval_s: float = 1.0
    ) -> None:
        self.nifi = nifi
        self.group_id = group_id
        self.java = psutil.Process(java_pid) if java_pid else None
        self.start = start
        self.interval_s = interval_s
        self.samples: list[dict[str, Any]] = []
        self.deepest: dict[str, tuple[tuple[str, str, str], int]] = {}  # connection id → (key, max queued)
        self.failures = 0
        self.heap_max_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> dict[str, Any]:
        sample: dict[str, Any] = {"t": time.monotonic() - self.start, "queued": None, "heap_mb": None}
        try:
            status = self.nifi.get(f"/flow/process-groups/{self.group_id}/status?recursive=true", timeout=10)
            status = status["processGroupStatus"]
            sample["queued"] = int(status["aggregateSnapshot"]["flowFilesQueued"])
            for connection, (key, depth) in connection_depths(status).items():
                if depth >= self.deepest.get(connection, (key, -1))[1]:
                    self.deepest[connection] = (key, depth)
        except Exception:  # a busy NiFi may not answer in time; the gap shows in the series
            self.failures += 1
        try:
            sample["heap_mb"], self.heap_max_mb, sample["gc_count"] = used_heap_mb(self.nifi)
        except Exception:  # as above
            self.failures += 1
        if self.java is not None:
            sample["jvm_rss_mb"], sample["rss_mb"] = python_rss_mb(self.java)
        self.samples.append(sample)
        return sample

    def _run(self) -> None:
        while True:
            began = time.monotonic()
            self.sample()
            if self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - began))):
                return
