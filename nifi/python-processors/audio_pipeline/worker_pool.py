"""A pool of spawned worker processes that replaces itself when a worker dies.

CPU-bound libraries that hold the GIL (pesq) or want a core each (the Whisper model) run in worker
processes, one core per worker. A worker that dies (killed, out of memory) breaks the whole
ProcessPoolExecutor; that is not the fault of the file in hand, so the pool is replaced, once per
failure and under a lock (several threads may find the same broken pool), and the call made again;
a second failure is raised. `initializer` runs once in each worker (to load a model there).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerPool:
    def __init__(self, workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._initializer = initializer
        self._initargs = initargs
        self._lock = threading.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        spawn = multiprocessing.get_context("spawn")  # not fork: the caller may run other threads (py4j)
        return ProcessPoolExecutor(
            self.workers, mp_context=spawn, initializer=self._initializer, initargs=self._initargs
        )

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in a worker; its errors arrive as raised there."""
        pool = self._pool
        try:
            return pool.submit(function, *args, **kwargs).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:  # else another thread replaced it already
                    pool.shutdown(wait=False)
                    self._pool = self._start()
            return self._pool.submit(function, *args, **kwargs).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
