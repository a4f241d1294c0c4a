"""Dataset rules (serving.training.dataset): deterministic group split, window labels and cuts, the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from serving.model_contract import SAMPLE_RATE as SR
from serving.training import dataset, debian_audio
from serving.training.synth import dsp, tones


def test_a_cached_dataset_is_refused_once_a_training_package_is_reserved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataset, "BUILD_DIR", tmp_path)
    cached = dataset.cache_path(1, 0.01, True)
    np.savez(cached, x=np.zeros(1), augmentations="{}", seconds=0.0, n_sources=0)
    assert dataset.load_or_build(1, 0.01)["n_sources"] == 0  # the cache is used while nothing is reserved
    reserved = tmp_path / "eval-reserved.txt"
    reserved.write_text(sorted(debian_audio.TRAIN_PACKAGES)[0] + "\n")
    monkeypatch.setenv("EVAL_RESERVED_FILE", str(reserved))
    with pytest.raises(RuntimeError, match="reserved"):
        dataset.load_or_build(1, 0.01)


def test_split_is_deterministic_and_roughly_a_fifth() -> None:
    groups = [f"g{i}" for i in range(2000)]
    splits = [dataset.split_of(7, g) for g in groups]
    assert splits == [dataset.split_of(7, g) for g in groups]
    assert 0.15 < splits.count("test") / len(splits) < 0.25


def test_specs_keep_languages_whole() -> None:
    specs = dataset.make_specs(3, scale=0.2, use_real=False)
    by_group: dict[str, set[str]] = {}
    for s in specs:
        by_group.setdefault(s.group, set()).add(s.split)
    assert all(len(v) == 1 for v in by_group.values())
    espeak_groups = {s.group for s in specs if s.kind == "espeak"}
    assert all(g.startswith("espeak:") for g in espeak_groups)
    assert {s.split for s in specs} == {"train", "test"}


def test_window_label_levels() -> None:
    loud = tones.tone_source(np.random.default_rng(0), 1.0) * 0.5
    assert dataset.window_label(loud, "tone") == "tone"
    assert dataset.window_label(dsp.set_active_level(loud, -70), "tone") == "silence"
    assert dataset.window_label(dsp.set_active_level(loud, -55), "tone") is None  # ambiguous band: dropped
    assert dataset.window_label(np.zeros(SR, np.float32), "silence") == "silence"
    assert dataset.window_label(loud, "silence") is None


def test_cut_windows_shapes() -> None:
    rng = np.random.default_rng(1)
    assert [w.shape for w in dataset.cut_windows(rng, np.ones(SR // 3, np.float32), 4)] == [(SR,)]
    assert len(dataset.cut_windows(rng, np.ones(10 * SR, np.float32), 4)) == 4
    assert len(dataset.cut_windows(rng, np.ones(2 * SR, np.float32), 4)) == 2
