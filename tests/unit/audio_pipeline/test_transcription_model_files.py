"""A model directory is checked against its manifest: a missing, corrupted or unassembled model says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_pipeline.transcription import model_files
from audio_pipeline.transcription.model_files import ModelFilesError


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "whisper-test"
    directory.mkdir()
    pins = {}
    for name in model_files.REQUIRED_FILES:
        (directory / name).write_bytes(name.encode() * 1000)
        pins[name] = model_files.file_sha256(directory / name)
    model_files.write_manifest(directory, "whisper-test", "1.2.3", pins, licence="MIT")
    return directory


def test_an_intact_model_verifies(model_dir: Path) -> None:
    model = model_files.verify(model_dir)
    assert (model.name, model.version, model.directory) == ("whisper-test", "1.2.3", model_dir)
    assert set(model.sha256) == set(model_files.REQUIRED_FILES)


def test_a_corrupted_model_file_fails_with_its_name_and_the_repair(model_dir: Path) -> None:
    with (model_dir / "model.bin").open("r+b") as handle:
        handle.seek(10)
        handle.write(b"\xff")
    with pytest.raises(ModelFilesError, match=r"model\.bin has sha256 .* pins .*corrupted.*setup again"):
        model_files.verify(model_dir)
    model_files.read_manifest(model_dir)  # the cheap check cannot see it: verify is what the start runs


def test_a_truncated_or_missing_file_fails(model_dir: Path) -> None:
    (model_dir / "tokenizer.json").write_bytes(b"")
    with pytest.raises(ModelFilesError, match=r"tokenizer\.json"):
        model_files.verify(model_dir)
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ModelFilesError, match=r"tokenizer\.json is missing"):
        model_files.verify(model_dir)


def test_a_directory_setup_did_not_assemble_is_refused(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(ModelFilesError, match="no model directory"):
        model_files.read_manifest(tmp_path / "absent")
    (model_dir / model_files.MANIFEST).unlink()
    with pytest.raises(ModelFilesError, match=r"no manifest\.json"):
        model_files.verify(model_dir)
    (model_dir / model_files.MANIFEST).write_text("{not json")
    with pytest.raises(ModelFilesError, match="unreadable"):
        model_files.read_manifest(model_dir)


def test_a_manifest_without_the_whisper_files_is_not_a_model(tmp_path: Path) -> None:
    model_files.write_manifest(tmp_path, "odd", "1", {"weights.onnx": "00"})
    with pytest.raises(ModelFilesError, match="not a Whisper model"):
        model_files.verify(tmp_path)
