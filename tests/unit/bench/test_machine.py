"""bench.machine: what the bench ran on."""

from __future__ import annotations

from bench.machine import cpu_model


def test_cpu_model() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
