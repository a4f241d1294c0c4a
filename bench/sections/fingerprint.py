"""Catalog query time: 10 s excerpts matched against catalogs of 10, 100 and 1,000 tracks (temporary
SQLite), with bench.synthetic_music's tracks: 10 catalog tracks of 30 s the queries come from, the rest
10 s fillers. Accuracy is bench.fingerprint_accuracy's job."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from typing import Any

from bench.figures import percentile
from bench.progress import log
from bench.synthetic_music import RATE, catalog_track, filler_job

SIZES = (10, 100, 1000)


def run(quick: bool, report: dict[str, Any]) -> None:
    try:
        from audio_pipeline.database import Database
        from audio_pipeline.fingerprint_index import FingerprintIndex
    except ImportError as error:
        report["fingerprint"] = f"not available ({error})"
        log(report["fingerprint"])
        return
    import numpy as np

    queries = 20 if quick else 50
    found: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(6)
    with tempfile.TemporaryDirectory(prefix="bench-fp-") as tmp:
        index = FingerprintIndex(Database(f"sqlite:///{tmp}/catalog.db"))
        try:
            sources = [catalog_track(i, 30.0) for i in range(SIZES[0])]
            for i, samples in enumerate(sources):
                index.register_track(f"track-{i:04d}", samples, RATE)
            registered = len(sources)
            with multiprocessing.get_context("spawn").Pool(min(2, os.cpu_count() or 1)) as pool:
                for size in SIZES:
                    jobs = [(k, 10.0) for k in range(registered, size)]
                    for (k, _), samples in zip(jobs, pool.imap(filler_job, jobs, chunksize=8), strict=True):
                        index.register_track(f"filler-{k:04d}", samples, RATE)
                    registered = max(registered, size)
                    log(f"fingerprint: {registered} tracks indexed, {queries} queries")
                    times = []
                    for _ in range(queries):
                        source = sources[int(rng.integers(len(sources)))]
                        start = int(rng.integers(0, len(source) - 10 * RATE))
                        started = time.perf_counter()
                        index.match(source[start : start + 10 * RATE], RATE)
                        times.append(time.perf_counter() - started)
                    found[str(size)] = {
                        "p50_ms": 1000 * percentile(times, 50),
                        "p95_ms": 1000 * percentile(times, 95),
                        "queries": queries,
                    }
        finally:
            index.close()
    report["fingerprint"] = found
