"""Worker slots: an exclusively flock'd worker name per process, with its state file and dirty marker.

Why slots exist and what they guarantee across restarts and SIGKILL: docs/metrics.md §3.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import IO

from audio_pipeline.metrics.aggregates import Aggregates

logger = logging.getLogger(__name__)

MAX_SLOTS = 256  # per component and state directory


class Slot:
    """A worker name this process holds, with `<name>.json` (state) and `<name>.dirty` (marker)."""

    def __init__(self, name: str, lock_handle: IO[str] | None, state_file: Path | None) -> None:
        self.name = name
        self.lock_handle = lock_handle
        self.state_file = state_file
        self.dirty_file = state_file.with_suffix(".dirty") if state_file is not None else None

    @classmethod
    def claim(cls, component: str, state_dir: Path | None) -> Slot:
        """The first free `<component>-<n>` in `state_dir`; `<component>-<pid>`, unsaved, without one."""
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
        """The previous owner's saved document; None if there is none, {} if it is unreadable."""
        if self.state_file is None:
            return None
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.error("metrics: unreadable state %s (%s); starting from zero", self.state_file, error)
            return {}

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
        """Replace the state file atomically with the current values."""
        if self.state_file is None:
            return
        document = {"worker": self.name, "pid": os.getpid(), "saved_at": time.time(), **aggregates.to_json()}
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
