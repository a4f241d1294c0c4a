"""Every Python processor's environment installs offline from the local wheelhouse, as NiFi installs it:
`pip install --target` of the shared requirements.txt and the processor's own dependencies, with the
wheelhouse's PIP_* environment (no index, local wheels, the pinned versions), then its libraries import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.nifi_python import PROCESSOR_PACKAGE_DIR, processor_inspection

from pipelinectl.nifi import wheelhouse

# What each processor type imports from its dependencies when it runs (the import names).
IMPORTS = {
    "TranscribeSpeech": ("faster_whisper", "ctranslate2", "onnxruntime", "soxr"),
    "ScoreSpeechQuality": ("pesq", "soundfile", "soxr", "pyebur128"),
}


def _dependencies(processor_type: str) -> list[str]:
    inspection = processor_inspection()
    for source in sorted(PROCESSOR_PACKAGE_DIR.glob("*.py")):
        for node in inspection.get_processor_class_nodes(str(source)):
            details = inspection.get_processor_details(node, str(source), str(PROCESSOR_PACKAGE_DIR.parent), False)
            if details.type == processor_type:
                return list(details.dependencies)
    raise KeyError(processor_type)


@pytest.mark.parametrize("processor_type", sorted(IMPORTS))
def test_the_environment_installs_offline_from_the_wheelhouse(processor_type: str, tmp_path: Path) -> None:
    if not (wheelhouse.wheelhouse_dir() / ".complete").exists():
        pytest.skip("setup builds the wheelhouse (./scripts/test runs it)")
    target = tmp_path / "environment"
    env = {**os.environ, **wheelhouse.pip_environment(), "PIP_INDEX_URL": "http://127.0.0.1:9/unreachable"}
    requirements = PROCESSOR_PACKAGE_DIR / "requirements.txt"
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-cache-dir", "--target", str(target)]
    subprocess.run([*install, "-r", str(requirements), *_dependencies(processor_type)], env=env, check=True)

    modules = IMPORTS[processor_type]
    probe = f"import sys; sys.path.insert(0, {str(target)!r}); " + "; ".join(
        f"import {name}; print({name}.__file__)" for name in modules
    )
    # -I -S: neither the project's virtualenv nor the user's packages, only the standard library and the target
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert all(line.startswith(str(target)) for line in done.stdout.splitlines()), done.stdout
