"""Peak resident memory of NiFi's JVM and of each Python process it started (sampled with psutil)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psutil

MB = 2**20
_EXTENSION_VENV = re.compile(r"/extensions/([^/]+)/[^/]+/bin/python")


def label(process: psutil.Process) -> str | None:
    """What a child of the NiFi JVM is: a Python processor's type (its venv says), a worker process
    such a processor started (ScoreSpeechQuality's PESQ pool), the Python framework's controller,
    the ExecuteStreamCommand worker, or None for anything else."""
    try:
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return label_of(cmdline)


def label_of(cmdline: list[str]) -> str | None:
    if not cmdline:
        return None
    if any(part.endswith("execute_stream_command_worker.py") for part in cmdline):
        return "ExecuteStreamCommand worker"
    if "--multiprocessing-fork" in cmdline and any("spawn_main" in part for part in cmdline):
        match = _EXTENSION_VENV.search(cmdline[0])  # a processor's own worker process (same venv)
        return f"{match.group(1)} worker process" if match else None
    if not any(part.endswith("Controller.py") for part in cmdline):
        return None
    match = _EXTENSION_VENV.search(cmdline[0])
    return match.group(1) if match else "Python controller"


class RssSampler:
    """Samples every `interval_s` in a background thread; `peaks()` since the last `reset()`, in MB."""

    def __init__(self, java_pid: int, interval_s: float = 0.1) -> None:
        self.java = psutil.Process(java_pid)
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Forget the peaks so far, also the kernel's (VmHWM) of the JVM and its children where allowed."""
        try:
            processes = [self.java, *self.java.children(recursive=True)]
        except psutil.NoSuchProcess:
            processes = []
        for process in processes:
            reset_kernel_peak(process.pid)
        with self._lock:
            self._peaks = {}

    def peaks(self) -> dict[str, float]:
        self.sample()
        with self._lock:
            return dict(self._peaks)

    def python_workers(self) -> dict[int, str]:
        """pid → label of the JVM's Python processor processes now."""
        workers = {}
        for child in self.java.children(recursive=True):
            name = label(child)
            if name is not None and name not in ("Python controller", "ExecuteStreamCommand worker"):
                workers[child.pid] = name
        return workers

    def sample(self) -> None:
        found: dict[str, float] = {}
        try:
            found["NiFi JVM"] = max(self.java.memory_info().rss / MB, kernel_peak_mb(self.java.pid))
            children = self.java.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            name = label(child)
            if name is None:
                continue
            try:
                rss = max(child.memory_info().rss / MB, kernel_peak_mb(child.pid))
            except psutil.NoSuchProcess:
                continue
            key = name if name == "ExecuteStreamCommand worker" else f"{name} (pid {child.pid})"
            found[key] = max(found.get(key, 0.0), rss)
        with self._lock:
            for key, value in found.items():
                self._peaks[key] = max(self._peaks.get(key, 0.0), value)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()


def peak_of_python_workers(peaks: dict[str, float]) -> tuple[float, str]:
    """The largest peak among the Python processor processes, and whose it is."""
    workers = {
        k: v
        for k, v in peaks.items()
        if k != "NiFi JVM" and not k.startswith(("Python controller", "ExecuteStreamCommand"))
    }
    if not workers:
        return float("nan"), ""
    name = max(workers, key=lambda k: workers[k])
    return workers[name], name


def kernel_peak_mb(pid: int) -> float:
    """VmHWM, the kernel's own peak RSS of a live process (no sample missed), in MB; 0 when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def reset_kernel_peak(pid: int) -> None:
    """Reset VmHWM to the current RSS (Linux: '5' into /proc/PID/clear_refs); ignored where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass
