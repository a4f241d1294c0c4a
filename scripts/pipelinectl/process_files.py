"""Pid files for the background services scripts/run starts, under $PIPELINE_DATA_DIR/state/run."""

from __future__ import annotations

import os
from pathlib import Path

from pipelinectl.settings import Settings


def pid_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / "run" / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child its parent has not reaped yet is not running
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_pid(settings: Settings, name: str) -> int | None:
    """The pid of a running service, or None (a stale pid file is removed)."""
    path = pid_path(settings, name)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if _alive(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def write_pid(settings: Settings, name: str, pid: int) -> None:
    path = pid_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n")


def remove_pid(settings: Settings, name: str) -> None:
    pid_path(settings, name).unlink(missing_ok=True)
