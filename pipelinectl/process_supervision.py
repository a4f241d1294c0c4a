"""Background processes scripts/run starts: pid files, "is it really still our process", stopping.

One place for what NiFi and the services of pipelinectl.services (Prometheus, the Pushgateway, the
model server, the token refresher) all need; their pid files are `state/run/<name>.pid`. A pid
only counts while the process lives, is not a zombie, and is the program we started (a recycled
pid is not ours).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from pipelinectl.atomic_file import write_atomically
from pipelinectl.settings import Settings


def pid_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / "run" / f"{name}.pid"


def process_alive(pid: int, *, comm: str | None = None, cmdline_marker: str | None = None) -> bool:
    """True if `pid` runs, is not a zombie, and (when given) its kernel `comm` (first 15 characters of
    the program name) is `comm` or its command line contains `cmdline_marker`.

    Right after exec the command line can still read empty: the `comm` check alone decides then.
    """
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text(encoding="utf-8", errors="replace")
        cmdline = (proc / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat[stat.rindex(")") + 1 :].split()[0] in ("Z", "X"):
        return False
    own_comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    if comm is not None and own_comm != os.path.basename(comm)[:15]:
        return False
    if cmdline_marker is not None and cmdline:
        return cmdline_marker.encode() in cmdline
    return True


def terminate(pid: int, alive: Callable[[], bool], *, timeout: float, group: bool = False) -> None:
    """SIGTERM (the whole process group with `group`), then SIGKILL after `timeout`; reaps our children."""
    kill = os.killpg if group else os.kill
    try:
        kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while alive() and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if alive():
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while alive():
            _reap(pid)
            time.sleep(0.05)
    _reap(pid)


def end_group(pgid: int, *, timeout: float = 10.0) -> None:
    """SIGTERM what is left of process group `pgid` (e.g. children of a leader that has exited),
    then SIGKILL after `timeout`."""

    def left() -> bool:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if not left():
        return
    terminate(pgid, left, timeout=timeout, group=True)


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our own child (no zombies in tests)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# The pid file of a named process of one data dir: state/run/<name>.pid.


def read_pid(settings: Settings, name: str, **identity: str | None) -> int | None:
    """The pid of `name` if that process is alive and matches `identity` (see process_alive)."""
    try:
        pid = int(pid_path(settings, name).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid, **identity) else None


def write_pid(settings: Settings, name: str, pid: int) -> None:
    write_atomically(pid_path(settings, name), f"{pid}\n")


def remove_pid(settings: Settings, name: str) -> None:
    pid_path(settings, name).unlink(missing_ok=True)
