"""Our processors load the way NiFi loads them: NiFi's own ExtensionManager, in a fresh Python whose
sys.path holds NiFi's framework and API folders and the virtualenv's libraries, nothing of ours.

NiFi runs each processor type in its own Python process, so each type is loaded in its own one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.nifi_python import API_DIR, FRAMEWORK_DIR, PROCESSOR_TYPES, PROCESSORS_DIR

# Run with `python -I` (no PYTHONPATH, no script folder on sys.path), as NiFi's Controller.py is run
# with PYTHONPATH set to the framework and API folders only.
LOADER = """
import json, sys
from unittest.mock import MagicMock
framework, api, processors, work_dir, wanted = sys.argv[1:]
sys.path[:0] = [framework, api]
path_before = list(sys.path)
from nifiapi.__jvm__ import JvmHolder
JvmHolder.jvm, JvmHolder.gateway = MagicMock(), MagicMock()  # Controller.py sets NiFi's gateway here
import ExtensionManager
manager = ExtensionManager.ExtensionManager(MagicMock())
manager.discoverExtensions([processors], work_dir)
discovered = sorted(details.type for details in manager.getProcessorTypes())
details = next(d for d in manager.getProcessorTypes() if d.type == wanted)
processor_class = manager.getProcessorClass(details.type, details.version, work_dir)
processor = processor_class(jvm=JvmHolder.jvm)  # as Controller.createProcessor does
print(json.dumps({
    "discovered": discovered,
    "loaded": type(processor).__name__,
    "audio_pipeline": sys.modules["audio_pipeline"].__file__,
    "ours_on_path_before": [p for p in path_before if p.startswith(processors)],
}))
"""


@pytest.mark.parametrize("processor_type", PROCESSOR_TYPES)
def test_nifi_extension_manager_loads_the_processor(processor_type: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            LOADER,
            str(FRAMEWORK_DIR),
            str(API_DIR),
            str(PROCESSORS_DIR),
            str(tmp_path),
            processor_type,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["discovered"] == sorted(PROCESSOR_TYPES)
    assert report["loaded"] == processor_type
    assert report["ours_on_path_before"] == []
    assert Path(report["audio_pipeline"]).parent == PROCESSORS_DIR / "audio_pipeline"
