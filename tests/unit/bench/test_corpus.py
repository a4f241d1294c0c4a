"""bench.corpus: clip-set specs and the generated audio."""

from __future__ import annotations

import numpy as np
import pytest

from bench import corpus
from bench.corpus import ClipSet


def test_clip_set_key_depends_on_audio_shape_not_count() -> None:
    a = ClipSet("tones-10s", "tones", 10.0, 5)
    assert a.key == ClipSet("tones-10s", "tones", 10.0, 500).key  # more clips: same folder, same clips
    assert a.key != ClipSet("tones-10s", "tones", 11.0, 5).key
    assert a.key.startswith("tones-10s-")
    assert a.clip_name(7) == "tones-10s-00007.flac"
    assert a.reference_name(7) is None


def test_speech_clips_cycle_through_their_references() -> None:
    s = ClipSet("speech-10s", "speech", 10.0, 30, references=12)
    assert s.extension == "wav"
    assert s.reference_name(0) == s.reference_name(12) != s.reference_name(1)
    assert s.reference_name(0).startswith(s.key)  # unique across sets in one references folder


@pytest.mark.parametrize("kwargs", [{"kind": "noise"}, {"seconds": 0}, {"kind": "tones", "references": 2}])
def test_clip_set_rejects_bad_specs(kwargs: dict[str, object]) -> None:
    spec: dict[str, object] = {"name": "x", "kind": "speech", "seconds": 1.0, "count": 1} | kwargs
    with pytest.raises(ValueError):
        ClipSet(**spec)  # type: ignore[arg-type]


def test_corpus_plans() -> None:
    plain, with_refs = corpus.throughput_sets(quick=True)
    assert plain.seconds == with_refs.seconds == 10.0
    assert not plain.references and with_refs.references
    lengths = [s.seconds for _, s in corpus.scaling_sets()]
    assert lengths == [1.0, 10.0, 60.0, 600.0, 3599.0]  # the 1 h clip stays under DecodeAudio's 1 hour limit
    assert [s.seconds for _, s in corpus.scaling_sets([60, 3599])] == [60.0, 3599.0]


def test_generated_tones_are_deterministic_and_in_range() -> None:
    a = corpus.tones(0.5, seed=4)
    assert a.dtype == np.float32 and a.size == 22050
    assert np.array_equal(a, corpus.tones(0.5, seed=4))
    assert 0.5 < float(np.max(np.abs(a))) <= 0.9 + 1e-6


def test_degrade_keeps_length_and_adds_noise() -> None:
    reference = np.sin(np.linspace(0, 200, 16000)).astype(np.float32)
    degraded = corpus.degrade(reference, seed=1)
    assert degraded.shape == reference.shape and not np.array_equal(degraded, reference)
    assert np.max(np.abs(degraded)) <= 1.0
