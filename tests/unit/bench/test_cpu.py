"""bench.cpu: /proc parsing, process groups, and CPU between two snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cpu
from bench.cpu import ProcStat, Snapshot

# A real line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
# utime stime cutime cstime priority nice threads itrealvalue starttime ...
STAT = "4242 (java) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 8 9 20 0 80 0 98765 4000000 50000 0 0"


def test_parse_stat_reads_cpu_ticks_session_and_start() -> None:
    stat = cpu.parse_stat(STAT)
    assert (stat.pid, stat.comm, stat.ppid, stat.session) == (4242, "java", 1, 4242)
    assert (stat.utime, stat.stime, stat.ticks, stat.starttime) == (1234, 567, 1801, 98765)


def test_parse_stat_takes_a_program_name_with_spaces_and_parentheses() -> None:
    stat = cpu.parse_stat(STAT.replace("(java)", "(my (odd) prog)"))
    assert stat.comm == "my (odd) prog"
    assert (stat.ppid, stat.utime, stat.stime) == (1, 1234, 567)


def _stat(pid: int, ppid: int, session: int, ticks: int = 0, start: int = 1) -> ProcStat:
    return ProcStat(pid=pid, comm="x", ppid=ppid, session=session, utime=ticks, stime=0, starttime=start)


def test_members_are_descendants_and_the_session() -> None:
    processes = {
        10: _stat(10, 1, 10),  # the JVM, session leader
        11: _stat(11, 10, 10),  # a Python processor
        12: _stat(12, 11, 10),  # its worker process
        13: _stat(13, 1, 10),  # reparented to init, still in the JVM's session
        20: _stat(20, 1, 20),  # another service
        21: _stat(21, 20, 20),
    }
    assert cpu.members(10, processes) == {10, 11, 12, 13}
    assert cpu.members(20, processes) == {20, 21}
    assert cpu.members(99, processes) == set()  # not running


def test_read_processes_from_a_proc_tree(tmp_path: Path) -> None:
    for pid, line in ((4242, STAT), (7, STAT.replace("4242 (java)", "7 (sh)"))):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(line)
    (tmp_path / "self").mkdir()  # not a pid
    (tmp_path / "8").mkdir()  # ended while being read: no stat
    found = cpu.read_processes(tmp_path)
    assert sorted(found) == [7, 4242]
    assert found[7].comm == "sh"


def test_machine_ticks_busy_leaves_out_idle_iowait_and_steal() -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    busy, total = cpu.machine_ticks("cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    assert (busy, total) == (160, 1187)
    with pytest.raises(ValueError):
        cpu.machine_ticks("intr 1 2 3\n")


def test_usage_between_snapshots() -> None:
    before = Snapshot(
        at=100.0,
        groups={"node 1": {(10, 1): 500, (11, 2): 100, (12, 3): 40}, "serving": {}},
        own_s=1.0,
        machine_busy=1000,
        machine_all=4000,
    )
    after = Snapshot(
        at=110.0,
        groups={
            # 10 and 11 went on; 12 ended; 13 started in between; 11's pid was recycled by a new process
            "node 1": {(10, 1): 900, (11, 2): 300, (13, 9): 50, (11, 8): 10},
            "serving": {(30, 5): 100},  # started in between
        },
        own_s=2.5,
        machine_busy=3000,
        machine_all=6000,
    )
    used = cpu.usage(before, after, ticks_per_s=100)
    assert used.wall_s == pytest.approx(10.0)
    assert used.groups["node 1"] == pytest.approx((400 + 200 + 50 + 10) / 100)
    assert used.groups["serving"] == pytest.approx(1.0)
    assert used.vanished == 1
    assert used.own_s == pytest.approx(1.5)
    assert used.machine_busy_s == pytest.approx(20.0)
    assert used.others_s == pytest.approx(20.0 - 6.6 - 1.0 - 1.5)


def test_add_sums_windows_and_others_never_negative() -> None:
    a = cpu.Usage(wall_s=1.0, groups={"node 1": 1.0}, own_s=0.5, machine_busy_s=1.0, vanished=0)
    b = cpu.Usage(wall_s=2.0, groups={"node 1": 2.0, "serving": 1.0}, own_s=0.5, machine_busy_s=5.0, vanished=1)
    total = cpu.add([a, b])
    assert total.groups == {"node 1": 3.0, "serving": 1.0}
    assert (total.wall_s, total.own_s, total.machine_busy_s, total.vanished) == (3.0, 1.0, 6.0, 1)
    assert a.others_s == 0.0  # the machine counter's rounding may say less than the groups used


def test_snapshot_of_this_process() -> None:
    import os

    taken = cpu.snapshot({"me": os.getpid(), "gone": None})
    assert taken.groups["gone"] == {}
    assert any(pid == os.getpid() for pid, _ in taken.groups["me"])
    assert taken.machine_all >= taken.machine_busy > 0
