"""Cluster sizing from measured CPU costs: how many machines a given hours-of-audio-per-hour needs.

An hour of audio per hour is one audio second per second, so a target of R hours per hour keeps
R × c cores busy for a cost of c CPU seconds per audio second. A machine of n cores run at a
target utilisation u, of which an idle NiFi node already takes i cores (heartbeats, timers,
repository checkpoints), has n × u − i cores for files; the machines needed are the busy cores over
that, rounded up. Nothing here measures: the costs come from the cluster section's runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EPSILON = 1e-9  # 4.000000001 machines are 4 (float noise), not 5


@dataclass(frozen=True)
class Assumptions:
    targets_hours_per_hour: tuple[float, ...] = (100.0, 1000.0)
    cores_per_machine: tuple[int, ...] = (8, 16)
    utilisation: float = 0.70  # of each machine's cores, at the target rate (headroom for peaks)

    def __post_init__(self) -> None:
        if not 0 < self.utilisation <= 1:
            raise ValueError(f"utilisation must be within (0, 1], not {self.utilisation}")


@dataclass(frozen=True)
class Cost:
    """Measured CPU seconds per audio second of one workload, by where it is spent."""

    workload: str
    nodes: float  # the NiFi nodes: JVMs and their Python processes, all nodes together
    model_server: float
    shared: float  # PostgreSQL, ZooKeeper and the ingest balancer
    idle_cores_per_node: float = 0.0  # what a node uses with no files


def busy_cores(hours_per_hour: float, cpu_s_per_audio_s: float) -> float:
    """Cores kept busy by `hours_per_hour` hours of audio per hour at that cost."""
    return hours_per_hour * cpu_s_per_audio_s


def machines(cores_busy: float, cores_per_machine: int, utilisation: float, idle_cores: float = 0.0) -> int:
    """Machines of `cores_per_machine` cores that carry `cores_busy` at `utilisation` (at least one)."""
    usable = cores_per_machine * utilisation - idle_cores
    if usable <= 0:
        raise ValueError(f"{cores_per_machine} cores at {utilisation:.0%} leave nothing beside {idle_cores} idle cores")
    return max(1, math.ceil(cores_busy / usable - EPSILON))


def table(costs: list[Cost], assumptions: Assumptions) -> list[dict[str, object]]:
    """One row per workload and target: busy cores of the nodes, the model server and the shared
    services; NiFi nodes needed with the model server on machines of its own, and with it on the
    nodes; model server machines; per machine size."""
    rows: list[dict[str, object]] = []
    u = assumptions.utilisation
    for cost in costs:
        for target in assumptions.targets_hours_per_hour:
            nifi = busy_cores(target, cost.nodes)
            serving = busy_cores(target, cost.model_server)
            row: dict[str, object] = {
                "workload": cost.workload,
                "hours_per_hour": target,
                "nifi_cores": nifi,
                "model_server_cores": serving,
                "shared_cores": busy_cores(target, cost.shared),
            }
            for n in assumptions.cores_per_machine:
                row[f"nodes_{n}"] = machines(nifi, n, u, cost.idle_cores_per_node)
                row[f"model_server_machines_{n}"] = machines(serving, n, u)
                row[f"nodes_with_model_server_{n}"] = machines(nifi + serving, n, u, cost.idle_cores_per_node)
            rows.append(row)
    return rows
