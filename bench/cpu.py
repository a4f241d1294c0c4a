"""CPU time of process groups, read from /proc: a NiFi node's JVM with its Python processes, a service.

A group is named by its root pid (the pid file's: the NiFi JVM, a service's program) and holds the
root, its descendants and every process of the root's session (scripts/run starts each NiFi and each
service as a session leader, so a processor's worker processes belong to it even when reparented).
CPU is utime + stime (fields 14 and 15 of /proc/PID/stat) in clock ticks; the difference of two
snapshots is the group's CPU in between. A process is keyed by pid and start time, so a recycled
pid is not taken for the old process; one that started in between counts from zero, one that
ended in between is counted as vanished (its last CPU time is lost).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    ppid: int
    session: int
    utime: int  # clock ticks
    stime: int
    starttime: int  # clock ticks after boot

    @property
    def ticks(self) -> int:
        return self.utime + self.stime


def parse_stat(text: str) -> ProcStat:
    """One /proc/PID/stat line. The program name is in parentheses and may itself hold spaces and
    parentheses, so the fields are counted from its last ')'."""
    pid = int(text[: text.index("(")].strip())
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 1 :].split()  # rest[0] is field 3 (state)
    return ProcStat(
        pid=pid,
        comm=comm,
        ppid=int(rest[1]),
        session=int(rest[3]),
        utime=int(rest[11]),
        stime=int(rest[12]),
        starttime=int(rest[19]),
    )


def read_processes(proc: Path = PROC) -> dict[int, ProcStat]:
    """Every process now (pid → its stat); those that end while being read are left out."""
    found = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found[int(entry.name)] = parse_stat((entry / "stat").read_text(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue
    return found


def members(root: int, processes: Mapping[int, ProcStat]) -> set[int]:
    """`root`, its descendants and the processes of its session (empty if `root` is not running)."""
    if root not in processes:
        return set()
    children: dict[int, list[int]] = {}
    for stat in processes.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found | {stat.pid for stat in processes.values() if stat.session == root}


def machine_ticks(proc_stat: str) -> tuple[int, int]:
    """(busy, all) clock ticks of all CPUs from the `cpu` line of /proc/stat. Busy is user, nice,
    system, irq and softirq; idle, iowait and steal (the hypervisor's) are not."""
    for line in proc_stat.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            user, nice, system, idle, iowait, irq, softirq, steal = ([int(x) for x in parts[1:9]] + [0] * 8)[:8]
            return user + nice + system + irq + softirq, user + nice + system + idle + iowait + irq + softirq + steal
    raise ValueError("no cpu line in /proc/stat")


@dataclass
class Snapshot:
    """CPU ticks per group and process, the bench process's own CPU and the machine's, at `at`."""

    at: float
    groups: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict)  # name → (pid, start) → ticks
    own_s: float = 0.0  # this process (the HTTP clients and the outcome watcher)
    machine_busy: int = 0
    machine_all: int = 0


def snapshot(roots: Mapping[str, int | None], proc: Path = PROC) -> Snapshot:
    """The CPU so far of each named group (`roots`: name → root pid, None for not running)."""
    processes = read_processes(proc)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        busy, total = machine_ticks((proc / "stat").read_text())
    except (OSError, ValueError):
        busy = total = 0
    taken = Snapshot(at=time.monotonic(), own_s=usage.ru_utime + usage.ru_stime, machine_busy=busy, machine_all=total)
    for name, root in roots.items():
        pids = members(root, processes) if root is not None else set()
        taken.groups[name] = {(pid, processes[pid].starttime): processes[pid].ticks for pid in pids}
    return taken


@dataclass(frozen=True)
class Usage:
    """CPU seconds between two snapshots: per group, this process, all CPUs, and what no group used."""

    wall_s: float
    groups: dict[str, float]
    own_s: float
    machine_busy_s: float
    vanished: int  # processes of a group that ended in between

    @property
    def others_s(self) -> float:
        """Busy CPU of the machine that neither the groups nor this process used: other work."""
        return max(0.0, self.machine_busy_s - sum(self.groups.values()) - self.own_s)

    def to_dict(self) -> dict[str, object]:
        return {
            "wall_s": self.wall_s,
            "groups_cpu_s": self.groups,
            "bench_client_cpu_s": self.own_s,
            "machine_busy_cpu_s": self.machine_busy_s,
            "other_processes_cpu_s": self.others_s,
            "vanished_processes": self.vanished,
        }


def usage(before: Snapshot, after: Snapshot, ticks_per_s: int = CLOCK_TICKS) -> Usage:
    groups, vanished = {}, 0
    for name, now in after.groups.items():
        then = before.groups.get(name, {})
        vanished += len(then.keys() - now.keys())
        groups[name] = sum(ticks - then.get(key, 0) for key, ticks in now.items()) / ticks_per_s
    return Usage(
        wall_s=after.at - before.at,
        groups=groups,
        own_s=after.own_s - before.own_s,
        machine_busy_s=(after.machine_busy - before.machine_busy) / ticks_per_s,
        vanished=vanished,
    )


def add(usages: Iterable[Usage]) -> Usage:
    """Several windows as one (sums of every figure)."""
    usages = list(usages)
    groups: dict[str, float] = {}
    for u in usages:
        for name, seconds in u.groups.items():
            groups[name] = groups.get(name, 0.0) + seconds
    return Usage(
        wall_s=sum(u.wall_s for u in usages),
        groups=groups,
        own_s=sum(u.own_s for u in usages),
        machine_busy_s=sum(u.machine_busy_s for u in usages),
        vanished=sum(u.vanished for u in usages),
    )
