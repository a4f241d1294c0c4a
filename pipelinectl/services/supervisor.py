"""One shape for every background service scripts/run starts: a program, how to recognise it, how to
tell that it is ready.

A service keeps its pid in `state/run/<name>.pid` and its output in `logs/<name>.log`. Starting is
idempotent (a running service is only reconfigured) and waits until the service is ready; one that
never gets ready is stopped again and reported with the tail of its log. Stopping is SIGTERM, then
SIGKILL. A later service (ZooKeeper, PostgreSQL, HAProxy) is one `Service(...)` definition.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelinectl import process_supervision
from pipelinectl.settings import Settings

READY_POLL_S = 0.1
LOG_TAIL_LINES = 30


def no_extra_environment() -> Mapping[str, str]:
    return {}


def answers_http(url: str, timeout: float = 1.0) -> Callable[[], bool]:
    """A readiness probe: True once `url` answers 200."""

    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    return probe


@dataclass(frozen=True)
class Status:
    name: str
    pid: int | None
    ready: bool
    address: str

    def __str__(self) -> str:
        where = f" on {self.address}" if self.address else ""
        if self.pid is None:
            return f"{self.name}: stopped{where}"
        return f"{self.name}: running (pid {self.pid}), {'ready' if self.ready else 'not ready'}{where}"


@dataclass(frozen=True)
class Service:
    """A background program of one data dir (`settings`), supervised through its pid file."""

    name: str
    settings: Settings
    command: Sequence[str]
    ready: Callable[[], bool]  # answers quickly; polled until True
    # Process identity: a pid counts only while its program is ours (pids are recycled).
    comm: str | None = None  # the kernel's program name (first 15 characters)
    cmdline_marker: str | None = None  # or a string in its command line
    # Extra variables over our own environment, computed at start (they may hold secrets).
    environment: Callable[[], Mapping[str, str]] = no_extra_environment
    cwd: Path | None = None  # created when missing
    prepare: Callable[[], None] | None = None  # before launching: render config, check prerequisites
    reconfigure: Callable[[], None] | None = None  # at a start that finds it running: apply new config
    ready_timeout: float = 30.0
    stop_timeout: float = 15.0
    after_flow: bool = False  # scripts/run starts it once the flow runs, scripts/stop stops it before NiFi
    address: str = ""  # where users reach it, for status lines

    @property
    def pid_file(self) -> Path:
        return process_supervision.pid_path(self.settings, self.name)

    @property
    def log_file(self) -> Path:
        return self.settings.logs_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of the running service, or None (a stale or recycled pid does not count)."""
        return process_supervision.read_pid(
            self.settings, self.name, comm=self.comm, cmdline_marker=self.cmdline_marker
        )

    def is_running(self) -> bool:
        return self.pid() is not None

    def is_ready(self) -> bool:
        return self.is_running() and self.ready()

    def status(self) -> Status:
        pid = self.pid()
        return Status(self.name, pid, pid is not None and self.ready(), self.address)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until ready; RuntimeError with the log tail when it exits or the time is up."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return
            if not self.is_running():
                break
            time.sleep(READY_POLL_S)
        raise RuntimeError(f"{self.name} did not become ready within {timeout:g} s:\n{self.log_tail()}")

    def start(self, timeout: float | None = None) -> int:
        """Start in the background unless running, wait until ready, return the pid."""
        running = self.pid()
        if running is not None:
            if self.reconfigure is not None:
                self.reconfigure()
            self.wait_ready(timeout)
            return running
        if self.prepare is not None:
            self.prepare()
        if self.cwd is not None:
            self.cwd.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                list(self.command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env={**os.environ, **self.environment()},
                start_new_session=True,  # outlives scripts/run; stopped through the pid file
            )
        process_supervision.write_pid(self.settings, self.name, process.pid)
        try:
            self.wait_ready(timeout)
        except RuntimeError:
            self.stop()
            raise
        return process.pid

    def stop(self) -> bool:
        """SIGTERM, then SIGKILL after `stop_timeout`; True if a process was stopped."""
        pid = self.pid()
        if pid is not None:
            process_supervision.terminate(pid, self.is_running, timeout=self.stop_timeout)
        process_supervision.remove_pid(self.settings, self.name)
        return pid is not None
