"""The Python processors' virtual environments, created before NiFi needs them.

NiFi 2.3.0 creates a processor type's environment (`python -m venv`) the first time a processor of
that type is added, on the thread that adds it: during a flow upload, one type after another, each
taking 4-9 s here, while the upload holds NiFi's extension lock. A cold start's upload therefore
spent about 40 s creating environments, the window in which the upload was seen to hang (issue
#15). NiFi skips the step for a type whose environment directory holds its marker file, so we
create them the way NiFi does (the same interpreter, `-m venv`, then the marker), all types at once,
before NiFi starts. Dependencies are still installed by NiFi, on its own background thread.
"""

from __future__ import annotations

import ast
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CREATED_MARKER = "env-creation-complete.txt"  # NiFi's name (PythonProcess.setupEnvironment)
PARALLEL_CREATIONS = 2  # the machines have two cores; venv creation is mostly ensurepip's CPU


@dataclass(frozen=True)
class ProcessorType:
    name: str
    version: str


def processor_types(package: Path) -> list[ProcessorType]:
    """Every Python processor class in `package` (a class with a nested ProcessorDetails holding a
    literal `version`), as NiFi discovers them: from the source, without importing it."""
    found = []
    for source in sorted(package.glob("*.py")):
        for node in ast.parse(source.read_text()).body:
            if isinstance(node, ast.ClassDef):
                version = _details_version(node)
                if version is not None:
                    found.append(ProcessorType(node.name, version))
    return found


def _details_version(cls: ast.ClassDef) -> str | None:
    for inner in cls.body:
        if isinstance(inner, ast.ClassDef) and inner.name == "ProcessorDetails":
            for statement in inner.body:
                if (
                    isinstance(statement, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "version" for t in statement.targets)
                    and isinstance(statement.value, ast.Constant)
                ):
                    return str(statement.value.value)
    return None


def environment_dir(extensions_dir: Path, processor: ProcessorType) -> Path:
    """Where NiFi keeps a type's environment: <working dir>/extensions/<type>/<version>."""
    return extensions_dir / processor.name / processor.version


def prepare(extensions_dir: Path, types: list[ProcessorType], python: str) -> list[ProcessorType]:
    """Create the environments NiFi has not got yet; returns the types it created them for."""
    missing = [t for t in types if not (environment_dir(extensions_dir, t) / CREATED_MARKER).exists()]
    with ThreadPoolExecutor(PARALLEL_CREATIONS) as pool:
        list(pool.map(lambda t: _create(environment_dir(extensions_dir, t), python), missing))
    return missing


def _create(home: Path, python: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [python, "-m", "venv", str(home.resolve())],
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"creating the Python environment {home} failed: {done.stderr.strip()[-500:]}")
    (home / CREATED_MARKER).touch()
