"""Environments are created as NiFi creates them: a venv of the given interpreter, then NiFi's marker."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelinectl.nifi import python_environments


def test_missing_environments_are_created_with_nifis_marker(tmp_path: Path) -> None:
    types = [python_environments.ProcessorType("First", "0.1.0")]  # one: each takes seconds
    assert python_environments.prepare(tmp_path, types, sys.executable) == types
    for processor in types:
        home = python_environments.environment_dir(tmp_path, processor)
        assert (home / python_environments.CREATED_MARKER).exists()
        assert (home / "bin" / "python").exists() and (home / "pyvenv.cfg").exists()
    assert python_environments.prepare(tmp_path, types, sys.executable) == []  # once per data dir
