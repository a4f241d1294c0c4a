"""Assemble (once, cached) a lean Apache NiFi from single Maven Central artifacts.

The NiFi binary zip is not published on Maven Central, and the mirror these machines reach
carries no nifi-bootstrap, nifi-resources or nifi-standard-nar for any 2.x release. So we:
  1. let Maven copy the framework NARs, the core lib/ jars and the Python framework
     (nifi/runtime/pom.xml);
  2. let Maven resolve the runtime closure of the standard and UpdateAttribute processor jars
     (nifi/runtime/nars/*.pom.xml) and pack each as a NAR with the upstream coordinates,
     leaving out jars that its parent NARs or lib/ already provide;
  3. start NiFi's main class ourselves (nifi_instance.py) with conf/ we render per instance.
The result lives in build/nifi-<version>-<hash of the inputs>/, so a second setup is instant.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

NIFI_VERSION = "2.3.0"
RUNTIME_DIR = REPO_ROOT / "nifi" / "runtime"
BUILD_DIR = REPO_ROOT / "build"
READY_MARKER = ".assembly-complete"


@dataclass(frozen=True)
class AssembledNar:
    """A NAR we pack ourselves from a Maven dependency closure."""

    pom: str
    nar_id: str
    parents: tuple[str, ...]  # nearest parent first; the first one becomes Nar-Dependency-Id


ASSEMBLED_NARS = (
    AssembledNar(
        "standard.pom.xml",
        "nifi-standard-nar",
        ("nifi-standard-shared-nar", "nifi-standard-services-api-nar"),
    ),
    AssembledNar("update-attribute.pom.xml", "nifi-update-attribute-nar", ("nifi-jetty-nar",)),
)


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in [*sorted(RUNTIME_DIR.rglob("*.xml")), Path(__file__)]:
        if "target" in path.parts:
            continue
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def assembly_dir() -> Path:
    return BUILD_DIR / f"nifi-{NIFI_VERSION}-{_inputs_digest()}"


def is_assembled() -> bool:
    return (assembly_dir() / READY_MARKER).exists()


def _artifact_name(jar_name: str) -> str:
    """'jackson-core-2.18.3.jar' -> 'jackson-core' (the name without its version)."""
    match = re.match(r"^(.+?)-\d[\w.\-]*\.jar$", jar_name)
    return match.group(1) if match else jar_name.removesuffix(".jar")


def _bundled_artifacts(nar: Path) -> set[str]:
    with zipfile.ZipFile(nar) as archive:
        return {
            _artifact_name(Path(name).name)
            for name in archive.namelist()
            if name.startswith("META-INF/bundled-dependencies/") and name.endswith(".jar")
        }


def _manifest(nar_id: str, parent: str) -> str:
    lines = [
        "Manifest-Version: 1.0",
        "Created-By: audio-pipeline nifi_assembly.py",
        f"Nar-Id: {nar_id}",
        "Nar-Group: org.apache.nifi",
        f"Nar-Version: {NIFI_VERSION}",
        "Nar-Dependency-Group: org.apache.nifi",
        f"Nar-Dependency-Id: {parent}",
        f"Nar-Dependency-Version: {NIFI_VERSION}",
        "Clone-During-Instance-Class-Loading: false",
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


def _pack_nar(spec: AssembledNar, jars_dir: Path, lib_dir: Path) -> Path:
    provided = {_artifact_name(p.name) for p in lib_dir.glob("*.jar")}
    for parent in spec.parents:
        provided |= _bundled_artifacts(lib_dir / f"{parent}-{NIFI_VERSION}.nar")
    target = lib_dir / f"{spec.nar_id}-{NIFI_VERSION}.nar"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as nar:
        # NiFi's unpacker creates no parent folders: the folder entries must come first.
        nar.writestr("META-INF/", b"")
        nar.writestr("META-INF/MANIFEST.MF", _manifest(spec.nar_id, spec.parents[0]))
        nar.writestr("META-INF/bundled-dependencies/", b"")
        for jar in sorted(jars_dir.glob("*.jar")):
            if _artifact_name(jar.name) not in provided:
                nar.write(jar, f"META-INF/bundled-dependencies/{jar.name}")
    return target


def _mvn(pom: Path, **properties: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is not installed; scripts/setup installs it from Debian's packages")
    args = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(pom), "package"] + [
        f"-D{k}={v}" for k, v in properties.items()
    ]
    done = subprocess.run(args, cwd=pom.parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"Maven failed for {pom.name}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")


def assemble(force: bool = False) -> Path:
    """Return the assembled NiFi home, building it first if the inputs changed."""
    target = assembly_dir()
    if is_assembled() and not force:
        return target
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_DIR, prefix="assembling-") as tmp:
        staging = Path(tmp) / "nifi"
        _mvn(RUNTIME_DIR / "pom.xml", dist=str(staging))
        lib_dir = staging / "lib"
        for spec in ASSEMBLED_NARS:
            jars_dir = Path(tmp) / spec.nar_id
            _mvn(RUNTIME_DIR / "nars" / spec.pom, out=str(jars_dir))
            _pack_nar(spec, jars_dir, lib_dir)
        (staging / "python" / "extensions").mkdir(parents=True, exist_ok=True)
        (staging / READY_MARKER).write_text(_inputs_digest() + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    for stale in BUILD_DIR.glob(f"nifi-{NIFI_VERSION}-*"):
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
    return target
