"""TCP port helpers: one free-port picker and one in-use check for every service the scripts start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (a small race with other programs is possible)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    """False only when something listens on (or holds) `port`.

    With SO_REUSEADDR, like the servers we start: connections of a program that just stopped, left in
    TIME_WAIT or FIN_WAIT, do not make the port look taken (a restart would otherwise be refused).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports (a cluster derives its nodes' ports from a base)."""
    for _ in range(200):
        base = free_port()
        if base + count < 65536 and all(port_is_free(base + i, "127.0.0.1") for i in range(count)):
            return base
    raise RuntimeError(f"no block of {count} free ports found")
