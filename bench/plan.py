"""How much a bench run sends: the command line's counts, with the defaults of a quick or a full run."""

from __future__ import annotations

from dataclasses import dataclass

# Files each way processes before it is timed. NiFi's JVM is started by the bench, and until its JIT
# has compiled the hot paths (py4j's base64 codec, sessions, repositories) it runs at two thirds of
# its steady rate: 4 warm-up files measured a cold JVM. Every way gets the same count.
WARMUP_FILES = 60


@dataclass
class Plan:
    quick: bool
    files: int  # per 10 s throughput run of the NiFi flow and the baseline
    esc_files: int  # per ExecuteStreamCommand run
    concurrency: int  # HTTP clients at saturation
    warmup_files: int
    latency_seconds: float  # of each latency run
    lengths: tuple[float, ...] | None  # scaling clip lengths; None: corpus.SCALING_LENGTHS
