"""One measured run over HTTP: files POSTed to a flow, their outcomes awaited and timed."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import Clip
from bench.figures import Throughput
from bench.load import OutcomeWatcher, Send, Sent, closed_loop, open_loop
from bench.plan import Plan
from bench.progress import log


def sends_for(clips: list[Clip], prefix: str, count: int) -> list[Send]:
    """`count` sends cycling through the clips, each with a unique name starting with `prefix`."""
    return [
        Send(f"{prefix}{i:05d}{clip.path.suffix}", clip.path, clip.seconds, clip.reference)
        for i, clip in ((i, clips[i % len(clips)]) for i in range(count))
    ]


def measure(sent: list[Sent], watcher: OutcomeWatcher) -> Throughput:
    """First POST to the last file's (first) outcome; lost, duplicated and failed files counted."""
    by_name = watcher.by_name()
    done = [s for s in sent if s.send.name in by_name]
    if not done:
        return Throughput(files=0, audio_s=0.0, wall_s=float("nan"), missing=len(sent))
    first = min(s.started for s in sent)
    last = max(min(o.mtime for o in by_name[s.send.name]) for s in done)
    return Throughput(
        files=len(done),
        audio_s=sum(s.send.seconds for s in done),
        wall_s=last - first,
        errors=watcher.errors(),
        missing=len(sent) - len(done),
        duplicates=sum(1 for s in done if len(by_name[s.send.name]) > 1),
    )


def run_http(
    url: str, folders: list[Path], prefix: str, sends: list[Send], concurrency: int, rate: float | None = None
) -> tuple[list[Sent], OutcomeWatcher]:
    """POST the sends (named `prefix`...; closed loop, or open loop at `rate` files/s), wait for their outcomes."""
    watcher = OutcomeWatcher(folders, prefix)
    if rate is None:
        sent = closed_loop(url, sends, concurrency)
    else:
        sent = open_loop(url, sends, rate, concurrency)
    refused = [s for s in sent if not s.accepted]
    if refused:
        log(f"{len(refused)} of {len(sent)} POSTs never accepted ({refused[0].error})")
    longest = max(s.seconds for s in sends)
    watcher.wait({s.send.name for s in sent if s.accepted}, idle_timeout_s=120 + 0.25 * longest)
    return sent, watcher


def warm_up(url: str, folders: list[Path], clips: list[Clip], prefix: str, concurrency: int, count: int) -> None:
    """`count` files first, so that first-use costs (imports, JIT compilation, caches) are not measured."""
    if count <= 0:
        return
    _, watcher = run_http(url, folders, prefix, sends_for(clips, prefix, count), concurrency)
    watcher.remove_files()


def at_saturation(
    url: str, folders: list[Path], clips: list[Clip], count: int, plan: Plan, warm_prefix: str, prefix: str
) -> Throughput:
    """The plan's warm-up files (named `warm_prefix`...), then `count` files (named `prefix`...) from
    `plan.concurrency` clients at once, timed; their outcome files are removed again."""
    warm_up(url, folders, clips, warm_prefix, plan.concurrency, plan.warmup_files)
    sent, watcher = run_http(url, folders, prefix, sends_for(clips, prefix, count), plan.concurrency)
    figures = measure(sent, watcher)
    watcher.remove_files()
    return figures
