"""NiFi 2.3.0's Python framework and API from our assembly, for tests of the NiFi Python processors.

Importing `nifiapi.properties` needs `JvmHolder.jvm`/`.gateway` (NiFi sets them to its py4j
gateway); like NiFi's own framework tests, `use_mocked_jvm` sets mocks before any processor module
is imported.
"""

from __future__ import annotations

import sys
from unittest.mock import MagicMock

from pipelinectl.nifi import assembly
from pipelinectl.settings import REPO_ROOT

PYTHON_DIR = assembly.assembly_dir() / "python"
FRAMEWORK_DIR = PYTHON_DIR / "framework"  # ExtensionManager.py, ProcessorInspection.py, ...
API_DIR = PYTHON_DIR / "api"  # nifiapi
PROCESSORS_DIR = REPO_ROOT / "nifi" / "python-processors"
PROCESSOR_PACKAGE_DIR = PROCESSORS_DIR / "audio_processors"


def use_mocked_jvm() -> None:
    """Make `nifiapi` importable in this process, its JVM handles mocks (idempotent)."""
    if not (API_DIR / "nifiapi").is_dir():
        raise RuntimeError(f"NiFi's Python API is missing in {API_DIR}: run ./scripts/test (it assembles NiFi)")
    if str(API_DIR) not in sys.path:
        sys.path.append(str(API_DIR))
    from nifiapi.__jvm__ import JvmHolder

    if JvmHolder.jvm is None:
        JvmHolder.jvm = MagicMock(name="jvm")
        JvmHolder.gateway = MagicMock(name="gateway")
