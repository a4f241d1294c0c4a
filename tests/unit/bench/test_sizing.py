"""bench.sizing: busy cores and machines for a rate of audio hours per hour."""

from __future__ import annotations

import pytest

from bench import sizing
from bench.sizing import Assumptions, Cost


def test_busy_cores_is_rate_times_cost() -> None:
    # 100 h of audio per hour = 100 audio s per s; at 0.05 CPU s per audio s, 5 cores busy
    assert sizing.busy_cores(100, 0.05) == pytest.approx(5.0)


def test_machines_round_up_at_the_target_utilisation() -> None:
    assert sizing.machines(5.0, 8, 0.7) == 1  # 5.6 usable cores
    assert sizing.machines(5.7, 8, 0.7) == 2
    assert sizing.machines(56.0, 8, 0.7) == 10  # exactly 10 × 5.6: float noise does not make it 11
    assert sizing.machines(0.0, 8, 0.7) == 1  # at least one
    assert sizing.machines(5.5, 8, 0.7, idle_cores=0.2) == 2  # 5.4 usable beside the idle node's own work


def test_machines_refuse_a_machine_with_no_capacity_left() -> None:
    with pytest.raises(ValueError):
        sizing.machines(1.0, 1, 0.5, idle_cores=0.5)


def test_assumptions_check_utilisation() -> None:
    with pytest.raises(ValueError):
        Assumptions(utilisation=0.0)
    with pytest.raises(ValueError):
        Assumptions(utilisation=1.5)


def test_table_rows_per_workload_and_target() -> None:
    costs = [Cost("speech-10s", nodes=0.2, model_server=0.01, shared=0.004, idle_cores_per_node=0.05)]
    rows = sizing.table(costs, Assumptions(targets_hours_per_hour=(100, 1000), cores_per_machine=(8, 16)))
    assert [(r["workload"], r["hours_per_hour"]) for r in rows] == [("speech-10s", 100), ("speech-10s", 1000)]
    small, large = rows
    assert small["nifi_cores"] == pytest.approx(20.0)
    assert small["model_server_cores"] == pytest.approx(1.0)
    assert small["shared_cores"] == pytest.approx(0.4)
    assert small["nodes_8"] == 4  # 20 / (5.6 - 0.05) = 3.6
    assert small["nodes_16"] == 2  # 20 / (11.2 - 0.05) = 1.8
    assert small["model_server_machines_8"] == 1
    assert small["nodes_with_model_server_8"] == 4  # 21 / 5.55 = 3.8
    assert large["nifi_cores"] == pytest.approx(200.0)
    assert large["nodes_8"] == 37  # 200 / 5.55 = 36.04
    assert large["nodes_16"] == 18  # 200 / 11.15 = 17.9
    assert large["nodes_with_model_server_16"] == 19  # 210 / 11.15 = 18.8
