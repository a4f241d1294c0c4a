"""Load for the benchmark: POST clips to a ListenHTTP endpoint (bounded client pool, closed or open loop)
and watch the output folders for each file's outcome (one JSON per file, found by scanning every 20 ms)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

POLL_S = 0.02
RETRY_PAUSE_S = 0.05
MAX_RETRY_S = 120.0  # a send that gets no 200 within this is counted as refused
OUTCOME_SUFFIXES = (".json", ".failed")


@dataclass(frozen=True)
class Send:
    name: str  # the `filename` header: unique per send, safe characters only
    path: Path
    seconds: float
    reference: str | None = None


@dataclass
class Sent:
    send: Send
    scheduled: float  # epoch seconds the send was due (open loop) or started (closed loop)
    started: float = 0.0
    accepted: float = 0.0  # epoch seconds the 200 response arrived; 0 if never accepted
    attempts: int = 0
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    name: str
    path: Path
    mtime: float  # epoch seconds

    @property
    def kind(self) -> str:
        if self.path.suffix == ".failed":
            return "failed"
        return "quarantine" if self.path.parent.name == "quarantine" else "result"


class Poster:
    """POSTs files with one keep-alive session per client thread; retries 503 (back-pressure)."""

    def __init__(self, url: str, concurrency: int) -> None:
        self.url = url
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-post")
        self.local = threading.local()

    def __enter__(self) -> Poster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, sent: Sent) -> Sent:
        headers = {"filename": sent.send.name}
        if sent.send.reference:
            headers["reference"] = sent.send.reference
        body = sent.send.path.read_bytes()
        sent.started = time.time()
        deadline = time.monotonic() + MAX_RETRY_S
        while True:
            sent.attempts += 1
            try:
                response = self._session().post(self.url, data=body, headers=headers, timeout=600)
                if response.status_code == 200:
                    sent.accepted = time.time()
                    return sent
                sent.error = f"HTTP {response.status_code}"
            except requests.RequestException as error:
                sent.error = type(error).__name__
            if time.monotonic() > deadline:
                return sent
            time.sleep(RETRY_PAUSE_S)

    def submit(self, sent: Sent) -> Future[Sent]:
        return self.pool.submit(self.post, sent)


def closed_loop(url: str, sends: list[Send], concurrency: int) -> list[Sent]:
    """Every send as fast as `concurrency` clients can: the flow's saturation."""
    with Poster(url, concurrency) as poster:
        now = time.time()
        futures = [poster.submit(Sent(send, scheduled=now)) for send in sends]
        return [f.result() for f in futures]


def open_loop(url: str, sends: list[Send], rate_per_s: float, concurrency: int) -> list[Sent]:
    """Arrivals at a fixed rate whatever the responses do (send i is due at start + i / rate)."""
    with Poster(url, concurrency) as poster:
        start = time.time() + 0.1
        futures = []
        for i, send in enumerate(sends):
            due = start + i / rate_per_s
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            futures.append(poster.submit(Sent(send, scheduled=due)))
        return [f.result() for f in futures]


def late_sends(sent: Iterable[Sent], tolerance_s: float = 0.1) -> int:
    """Open loop: sends that started more than `tolerance_s` after they were due (client pool too small)."""
    return sum(1 for s in sent if s.started - s.scheduled > tolerance_s)


def sent_name(outcome_file: str) -> str | None:
    """The sent file name an output file belongs to: `<name>--<uuid or 'local'>.json|.failed`."""
    if outcome_file.startswith(".") or not outcome_file.endswith(OUTCOME_SUFFIXES):
        return None
    name, sep, _ = outcome_file.rpartition("--")
    return name if sep else None


@dataclass
class OutcomeWatcher:
    """Outcomes of the files whose names start with `prefix`, in the given folders."""

    folders: list[Path]
    prefix: str
    outcomes: dict[Path, Outcome] = field(default_factory=dict)

    def scan(self) -> int:
        """Pick up new outcome files; return how many were new."""
        new = 0
        for folder in self.folders:
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue
            for entry in entries:
                if not entry.name.startswith(self.prefix):
                    continue
                path = Path(entry.path)
                if path in self.outcomes:
                    continue
                name = sent_name(entry.name)
                if name is None:
                    continue
                try:
                    mtime = entry.stat().st_mtime_ns / 1e9
                except FileNotFoundError:
                    continue
                self.outcomes[path] = Outcome(name, path, mtime)
                new += 1
        return new

    def by_name(self) -> dict[str, list[Outcome]]:
        grouped: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes.values():
            grouped.setdefault(outcome.name, []).append(outcome)
        return grouped

    def wait(self, names: set[str], idle_timeout_s: float, settle_s: float = 1.0) -> None:
        """Until every name has an outcome, or nothing new came for `idle_timeout_s`; then `settle_s`
        more, so that a (wrong) second outcome of a file would be seen too."""
        last_new = time.monotonic()
        while True:
            if self.scan():
                last_new = time.monotonic()
            if names <= self.by_name().keys():
                break
            if time.monotonic() - last_new > idle_timeout_s:
                break
            time.sleep(POLL_S)
        time.sleep(settle_s)
        self.scan()

    def errors(self) -> int:
        """Outcomes that are not clean results: quarantine, failed command, or audio.error in the JSON."""
        return len(self.error_reasons())

    def error_reasons(self) -> list[str]:
        """`audio.error` (or the kind of outcome) of every outcome that is not a clean result."""
        reasons = []
        for outcome in self.outcomes.values():
            try:
                attributes = json.loads(outcome.path.read_text()) if outcome.path.suffix == ".json" else {}
            except (OSError, json.JSONDecodeError):
                attributes = {"audio.error": "unreadable outcome"}
            if outcome.kind != "result" or "audio.error" in attributes:
                reasons.append(str(attributes.get("audio.error") or outcome.kind))
        return reasons

    def remove_files(self) -> None:
        """Delete every file of this run's prefix in the folders (outcomes and quarantined originals)."""
        for folder in self.folders:
            for path in folder.glob(f"{self.prefix}*"):
                path.unlink(missing_ok=True)
