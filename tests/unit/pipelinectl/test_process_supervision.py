"""Ending processes: a group leader alone, then what is left of its group."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from pipelinectl.process_supervision import end_group, terminate

# A session leader that starts a child in its group, prints the child's pid, and waits.
LEADER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_terminating_the_leader_alone_leaves_its_group_until_end_group() -> None:
    leader = subprocess.Popen([sys.executable, "-c", LEADER], stdout=subprocess.PIPE, text=True, start_new_session=True)
    child = int(leader.stdout.readline())
    try:
        terminate(leader.pid, lambda: leader.poll() is None, timeout=10)
        assert leader.poll() is not None
        assert _alive(child), "only the leader was signalled"

        end_group(leader.pid, timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        end_group(leader.pid, timeout=1)


def test_end_group_of_a_group_that_is_gone_returns_at_once() -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    finished.wait(timeout=30)
    started = time.monotonic()
    end_group(finished.pid, timeout=10)
    assert time.monotonic() - started < 1
