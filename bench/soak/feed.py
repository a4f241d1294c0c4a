"""Load for the soak: the saturation probe (closed loop on completions) and the open-loop feed, whose
POSTs are tried once each so that every refusal is seen and counted for what it was."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.corpus import Clip
from bench.figures import Throughput
from bench.load import POLL_S, OutcomeWatcher, Poster, Send, Sent
from bench.soak.figures import classify


def named_sends(clips: list[Clip], prefix: str) -> Iterator[Send]:
    """Endless sends cycling through the clips, each with a unique name (as bench.http_runs.sends_for)."""
    i = 0
    while True:
        clip = clips[i % len(clips)]
        yield Send(f"{prefix}{i:05d}{clip.path.suffix}", clip.path, clip.seconds, clip.reference)
        i += 1


# -- saturation probe -----------------------------------------------------------------------------


def probe(
    url: str, folders: list[Path], clips: list[Clip], prefix: str, seconds: float, in_flight: int = 8
) -> dict[str, Any]:
    """Saturation in files/s: for `seconds`, `in_flight` files are kept inside the flow (a file is posted,
    503 retried as in the bench's saturation runs, whenever one comes out), then the last ones drain.

    Time-bounded rather than a fixed count (bench.http_runs.at_saturation), as the rate is not known
    beforehand (0.25 to 20 files/s, with transcription or without). The rate counts the completions
    after the first up to the deadline, over the time from the first to the deadline: the cold first
    file does not count, nor does the drain, when fewer files overlap in the flow's stages."""
    watcher = OutcomeWatcher(folders, prefix)
    sends = named_sends(clips, prefix)
    posted: dict[str, Future[Sent]] = {}
    deadline = time.monotonic() + seconds
    deadline_epoch = time.time() + seconds  # outcome files carry epoch mtimes
    last_new = time.monotonic()
    with Poster(url, in_flight) as poster:
        while True:
            if watcher.scan():
                last_new = time.monotonic()
            done = watcher.by_name().keys()
            open_ = [n for n, f in posted.items() if n not in done and not (f.done() and not f.result().accepted)]
            if time.monotonic() < deadline:
                for _ in range(in_flight - len(open_)):
                    send = next(sends)
                    posted[send.name] = poster.submit(Sent(send, scheduled=time.time()))
                    last_new = max(last_new, time.monotonic())
            elif not open_ or time.monotonic() - last_new > 120:
                break
            time.sleep(POLL_S)
    sent = [f.result() for f in posted.values() if not f.cancelled()]  # cancelled: given up draining
    by_name = watcher.by_name()
    completions = sorted(min(o.mtime for o in by_name[s.send.name]) for s in sent if s.send.name in by_name)
    timed = [t for t in completions[1:] if t <= deadline_epoch]
    throughput = Throughput(  # the clips are of one length: audio follows from the file count
        files=len(timed),
        audio_s=len(timed) * clips[0].seconds,
        wall_s=deadline_epoch - completions[0] if timed else float("nan"),
        errors=watcher.errors(),
        missing=sum(1 for s in sent if s.accepted and s.send.name not in by_name),
    )
    watcher.remove_files()
    return throughput.to_dict() | {
        "posted": len(sent),
        "in_flight": in_flight,
        "seconds": seconds,
        "outcomes": len(completions),
    }


# -- open-loop feed -------------------------------------------------------------------------------


def arrivals(rate_per_s: float, duration_s: float, kind: str = "even", seed: int = 0) -> list[float]:
    """Offsets (s from the start) of the sends: evenly spaced at `rate_per_s`, or a Poisson process of
    that rate (exponential gaps, seeded: the same run twice sends at the same times)."""
    if rate_per_s <= 0:
        raise ValueError("the rate must be > 0")
    if kind == "even":
        return [i / rate_per_s for i in range(int(duration_s * rate_per_s))]
    if kind != "poisson":
        raise ValueError(f"arrivals are 'even' or 'poisson', not {kind!r}")
    rng = random.Random(seed)
    offsets, t = [], rng.expovariate(rate_per_s)
    while t < duration_s:
        offsets.append(t)
        t += rng.expovariate(rate_per_s)
    return offsets


@dataclass
class Post:
    """One send of the feed: when it was due, started and answered, and how it ended (POST_KINDS)."""

    name: str
    scheduled: float
    started: float = 0.0
    finished: float = 0.0
    kind: str = ""
    status: int | None = None
    detail: str = ""


class OneShotPoster:
    """POSTs each file once (no retry, unlike bench.load.Poster) from a pool of keep-alive clients."""

    def __init__(self, url: str, concurrency: int, timeout_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="soak-post")
        self.local = threading.local()
        self.bodies: dict[Path, bytes] = {}

    def __enter__(self) -> OneShotPoster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)

    def body(self, path: Path) -> bytes:
        if path not in self.bodies:  # read once: the feed must not wait on the disk
            self.bodies[path] = path.read_bytes()
        return self.bodies[path]

    def post(self, send: Send, record: Post) -> Post:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = {"filename": send.name} | ({"reference": send.reference} if send.reference else {})
        record.started = time.time()
        try:
            response = session.post(self.url, data=self.body(send.path), headers=headers, timeout=self.timeout_s)
            record.status = response.status_code
            record.kind = classify(response.status_code)
            if record.kind != "accepted":
                record.detail = response.text[:200]
        except requests.RequestException as error:
            record.kind = classify(None, error)
            record.detail = f"{type(error).__name__}: {str(error)[:200]}"
            self.local.session = None  # a broken connection must not be reused
        record.finished = time.time()
        return record


def feed(url: str, sends: Iterator[Send], offsets: list[float], concurrency: int, timeout_s: float) -> list[Post]:
    """Send i at start + offsets[i] whatever the answers do (open loop); every POST tried once."""
    futures: list[Future[Post]] = []
    with OneShotPoster(url, concurrency, timeout_s) as poster:
        start = time.time() + 0.1
        for offset in offsets:
            send = next(sends)
            poster.body(send.path)
            due = start + offset
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            futures.append(poster.pool.submit(poster.post, send, Post(send.name, scheduled=due)))
        return [f.result() for f in futures]


def outcome_filenames(folders: list[Path], prefix: str) -> list[str]:
    """The `filename` attribute of every result and quarantine JSON of this run (one entry per JSON)."""
    names = []
    for folder in folders:
        for path in sorted(folder.glob(f"{prefix}*.json")):
            try:
                names.append(str(json.loads(path.read_text()).get("filename", "")))
            except (OSError, json.JSONDecodeError):
                names.append("")  # unreadable: counted as an outcome of no file
    return names
