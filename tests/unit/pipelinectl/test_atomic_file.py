"""A file replaced in one step: readers see the old or the new text, never a part; no temporary left."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelinectl import atomic_file
from pipelinectl.atomic_file import write_atomically


def test_replaces_with_the_given_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "token"
    write_atomically(target, "old\n")
    write_atomically(target, "new\n", mode=0o600)
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["token"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "config"
    write_atomically(target, "old\n")

    def disk_full(source: str, destination: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_file.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config"]
