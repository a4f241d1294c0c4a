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
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

NIFI_VERSION = "2.3.0"  # the one place: the poms of nifi/runtime get it as -Dnifi.version
NIFI_API_VERSION = "2.0.0"  # nifi-api has its own releases; NiFi 2.3.0 is built against this one
RUNTIME_DIR = REPO_ROOT / "nifi" / "runtime"
ZOOKEEPER_DIR = RUNTIME_DIR / "zookeeper"  # not part of NiFi: pipelinectl.services.zookeeper fetches it
BUILD_DIR = REPO_ROOT / "build"
READY_MARKER = ".assembly-complete"
SINGLE_USER_NAR = "audio-pipeline-single-user-nar"
SINGLE_USER_VERSION = "1.0.0"


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
    inputs = [
        p
        for p in RUNTIME_DIR.rglob("*")
        if p.is_file() and p.suffix != ".md" and "target" not in p.parts and not p.is_relative_to(ZOOKEEPER_DIR)
    ]
    for path in [*sorted(inputs), Path(__file__)]:
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


def _build_single_user_nar(lib_dir: Path, tools_dir: Path, work: Path) -> Path:
    """Compile nifi/runtime/single-user-auth (our login provider and authorizer) into a NAR."""
    from pipelinectl.nifi.instance import java_home

    source = RUNTIME_DIR / "single-user-auth"
    classes = work / "classes"
    jars = (f"nifi-framework-api-{NIFI_VERSION}.jar", f"nifi-api-{NIFI_API_VERSION}.jar")
    classpath = os.pathsep.join(str(lib_dir / name) for name in jars)
    sources = [str(p) for p in sorted((source / "src").rglob("*.java"))]
    command = [
        str(java_home() / "bin" / "java"),
        "-jar",
        str(tools_dir / "ecj.jar"),
        "-21",
        "-nowarn",
        "-cp",
        classpath,
        "-d",
        str(classes),
        *sources,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"compiling single-user-auth failed:\n{done.stdout}{done.stderr}")
    jar = work / f"{SINGLE_USER_NAR}-{SINGLE_USER_VERSION}.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
        for path in sorted((source / "META-INF" / "services").iterdir()):
            archive.write(path, f"META-INF/services/{path.name}")
    target = lib_dir / f"{SINGLE_USER_NAR}-{SINGLE_USER_VERSION}.nar"
    manifest = (
        "\r\n".join(
            [
                "Manifest-Version: 1.0",
                f"Nar-Id: {SINGLE_USER_NAR}",
                "Nar-Group: org.example.audiopipeline",
                f"Nar-Version: {SINGLE_USER_VERSION}",
                "Clone-During-Instance-Class-Loading: false",
            ]
        )
        + "\r\n\r\n"
    )
    with zipfile.ZipFile(target, "w") as nar:
        nar.writestr("META-INF/", b"")
        nar.writestr("META-INF/MANIFEST.MF", manifest)
        nar.writestr("META-INF/bundled-dependencies/", b"")
        nar.write(jar, f"META-INF/bundled-dependencies/{jar.name}")
    return target


def mvn(pom: Path, **properties: str) -> None:
    """`mvn package` of `pom` with the NiFi versions as properties; a failure raises with Maven's output."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is not installed; scripts/setup installs it from Debian's packages")
    properties = {"nifi.version": NIFI_VERSION, "nifi-api.version": NIFI_API_VERSION, **properties}
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
        tools = Path(tmp) / "tools"
        mvn(RUNTIME_DIR / "pom.xml", dist=str(staging), tools=str(tools))
        lib_dir = staging / "lib"
        _build_single_user_nar(lib_dir, tools, Path(tmp) / "single-user-auth")
        for spec in ASSEMBLED_NARS:
            jars_dir = Path(tmp) / spec.nar_id
            mvn(RUNTIME_DIR / "nars" / spec.pom, out=str(jars_dir))
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
