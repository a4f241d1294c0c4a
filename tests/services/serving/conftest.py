"""The serving virtualenv (.venv-serving: TensorFlow, tensorflow-serving-api) for the tests that need it.

Code on the official TF Serving stubs runs there as a separate process: the project's own stubs
declare the same `tensorflow.serving.*` names, and both cannot share one protobuf descriptor pool.
Tests that ask for these fixtures are skipped, with the reason, when the virtualenv is unusable.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelinectl.settings import REPO_ROOT

SERVING_PYTHON = REPO_ROOT / ".venv-serving" / "bin" / "python"
QUIET_TF = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


@functools.cache
def _serving_venv_problem() -> str | None:
    if not SERVING_PYTHON.exists():
        return f"{SERVING_PYTHON} absent: create it with `python -m pipelinectl.services.model_server install`"
    probe = subprocess.run(
        [str(SERVING_PYTHON), "-c", "import tensorflow_serving.apis.prediction_service_pb2_grpc"],
        capture_output=True,
        text=True,
        timeout=300,
        env=QUIET_TF,
    )
    if probe.returncode != 0:
        return f"the serving virtualenv cannot import tensorflow_serving: {probe.stderr.strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def serving_venv() -> Path:
    """The serving virtualenv's Python."""
    problem = _serving_venv_problem()
    if problem:
        pytest.skip(problem)
    return SERVING_PYTHON


@pytest.fixture(scope="session")
def run_serving_python(serving_venv: Path) -> Callable[..., str]:
    """run(script, *args): stdout of `script` run by the serving Python from the repository root; fails on errors."""

    def run(script: str, *args: str) -> str:
        done = subprocess.run(
            [str(serving_venv), "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO_ROOT,
            env=QUIET_TF,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return run
