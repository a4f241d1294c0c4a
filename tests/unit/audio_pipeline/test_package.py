"""The package keeps numpy's OpenBLAS single-threaded unless the user says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

from pipelinectl.settings import REPO_ROOT

_PROBE = "import audio_pipeline, numpy, os; print(os.environ['OPENBLAS_NUM_THREADS'])"


def _probe(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    path = os.pathsep.join([str(REPO_ROOT / "nifi" / "python-processors"), str(REPO_ROOT)])
    run = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=base | {"PYTHONPATH": path} | env,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


def test_openblas_is_single_threaded_by_default() -> None:
    assert _probe() == "1"


def test_a_value_the_user_set_wins() -> None:
    assert _probe(OPENBLAS_NUM_THREADS="4") == "4"
