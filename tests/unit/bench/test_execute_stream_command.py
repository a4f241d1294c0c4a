"""bench.execute_stream_command: the NiFi 1.x-style flow's parameters and the script it runs."""

from __future__ import annotations

import sys
from pathlib import Path

from bench import execute_stream_command


def test_the_worker_script_is_the_one_in_the_package() -> None:
    assert execute_stream_command.WORKER_SCRIPT.is_file()
    assert execute_stream_command.WORKER_SCRIPT.name == "execute_stream_command_worker.py"


def test_parameter_values_fill_every_parameter_of_the_flow(tmp_path: Path) -> None:
    values = execute_stream_command.parameter_values(9000, tmp_path / "results", tmp_path / "refs", "sqlite:///x.db")
    assert values.keys() == execute_stream_command.PARAMETERS.keys()
    assert values["python_command"] == sys.executable
    assert values["worker_script"] == str(execute_stream_command.WORKER_SCRIPT)
