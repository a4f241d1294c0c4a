"""The plain-Python baseline: the flow's steps (bench.steps) in a warm pool of worker processes, as many
as the Python processes NiFi runs them in, reading each file from disk and writing one JSON per file."""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import shutil
import time
from pathlib import Path
from typing import Any

from bench import steps
from bench.corpus import Clip
from bench.figures import Throughput

_worker: dict[str, Any] = {}  # a pool worker's own StepContext and output folder


def _init_worker(references_dir: str, out_dir: str, database_url: str, environment: dict[str, str]) -> None:
    os.environ.update(environment)  # the instance's settings (e.g. its Pushgateway), as NiFi's workers get them
    _worker.update(context=steps.StepContext(Path(references_dir), database_url), out=Path(out_dir))
    # Pool workers skip atexit. Like a processor's onStopped: save and push the counts when the worker
    # ends (else the next run's workers report them lost).
    from audio_pipeline import metrics

    multiprocessing.util.Finalize(None, metrics.close, exitpriority=10)


def _work(job: tuple[str, str | None]) -> bool:
    path, reference = job
    return steps.process_file(Path(path), _worker["out"], reference, _worker["context"])


def _ready(_: int) -> bool:
    return bool(_worker)


def run(
    clips: list[Clip],
    count: int,
    workers: int,
    references_dir: Path,
    out_dir: Path,
    database: str,
    environment: dict[str, str],
    warmup: int,
) -> Throughput:
    """`count` files cycling through the clips in a pool of `workers` processes (warm, like NiFi's:
    started, imports done and `warmup` files processed before the clock starts); first submit to last result."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    jobs = [(str(clips[i % len(clips)].path), clips[i % len(clips)].reference) for i in range(count)]
    seconds = sum(clips[i % len(clips)].seconds for i in range(count))
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=_init_worker, initargs=(str(references_dir), str(out_dir), database, environment)
    ) as pool:
        pool.map(_ready, range(workers * 4))  # every worker up and its imports done
        warmup_jobs = [jobs[i % len(jobs)] for i in range(max(warmup, workers))]  # lazy imports, databases
        pool.map(_work, warmup_jobs, chunksize=1)
        started = time.time()
        ok = list(pool.imap_unordered(_work, jobs, chunksize=1))
        wall = time.time() - started
        pool.close()  # the workers end on their own (and run their finalizers) instead of being terminated
        pool.join()
    # Cycling through the clips reuses names: one output per clip name, so count the calls instead.
    return Throughput(files=count, audio_s=seconds, wall_s=wall, errors=ok.count(False))
