"""A local wheelhouse of the processors' pinned libraries, so NiFi's per-processor pip installs
are offline, pinned and fast: NiFi runs `pip install --target` for each Python processor type on
first use, and pip reads PIP_* variables from NiFi's environment (see nifi/instance.py, _environment).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements" / "processors.txt"
BUILD_REQUIREMENTS = REPO_ROOT / "requirements" / "build.txt"
WHEELHOUSE_ROOT = REPO_ROOT / "build" / "wheelhouse"


def _digest() -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:12]


def wheelhouse_dir() -> Path:
    return WHEELHOUSE_ROOT / _digest()


def ensure() -> Path:
    """Build wheels for every pinned processor library (sdists such as pesq are built once)."""
    target = wheelhouse_dir()
    marker = target / ".complete"
    if marker.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    if BUILD_REQUIREMENTS.exists():  # build-time tools for sdists (e.g. Cython for pesq)
        subprocess.run([*pip, "install", "-q", "-r", str(BUILD_REQUIREMENTS)], check=True)
    subprocess.run(
        [*pip, "wheel", "-q", "--no-build-isolation", "-w", str(target), "-r", str(REQUIREMENTS)], check=True
    )
    marker.write_text("ok\n")
    for stale in WHEELHOUSE_ROOT.iterdir():
        if stale != target and stale.is_dir():
            for item in stale.iterdir():
                item.unlink()
            stale.rmdir()
    return target


def pip_environment() -> dict[str, str]:
    """Environment for pip processes NiFi starts: local wheels only, versions from processors.txt."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse_dir()),
        "PIP_CONSTRAINT": str(REQUIREMENTS),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_WARN_SCRIPT_LOCATION": "1",
    }
