"""NiFi reinstalls processor dependencies when what it installs from changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelinectl.nifi import instance


@pytest.fixture
def processors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "python-processors"
    shutil.copytree(instance.PROCESSORS_DIR / "audio_processors", root / "audio_processors")
    monkeypatch.setattr(instance, "PROCESSORS_DIR", root)
    return root / "audio_processors"


def _installed(home: Path) -> Path:
    """The marker NiFi leaves once a processor type's dependencies are installed."""
    marker = home / "work" / "python" / "extensions" / "DecodeAudio" / "0.1.0" / "dependency-download.complete"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("True")
    return marker


@pytest.mark.parametrize("changed", ["requirements.txt", "decode_audio.py"])
def test_a_changed_requirements_file_or_source_forgets_installed_dependencies(
    processors: Path, tmp_path: Path, changed: str
) -> None:
    home = tmp_path / "nifi"
    instance._forget_stale_dependencies(home)
    marker = _installed(home)
    instance._forget_stale_dependencies(home)
    assert marker.exists()  # nothing changed: keep what NiFi installed

    (processors / changed).write_text((processors / changed).read_text() + "\n# changed\n")
    instance._forget_stale_dependencies(home)
    assert not marker.exists()
