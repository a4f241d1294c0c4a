"""TF-free parts of the classifier's training side: data rules, synthesis, configs."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline import classification

from pipelinectl.services import model_server
from serving import model_contract as constants
from serving.training import dataset, debian_audio, evaluation_report
from serving.training.synth import dsp, music, tones

SR = constants.SAMPLE_RATE


def test_client_and_model_agree_on_the_contract() -> None:
    assert classification.CLASS_NAMES == constants.CLASS_NAMES
    assert classification.INPUT_ALIAS == constants.INPUT_ALIAS
    assert classification.OUTPUT_ALIAS == constants.OUTPUT_ALIAS
    assert classification.DEFAULT_MODEL_NAME == constants.MODEL_NAME == model_server.MODEL_NAME
    assert classification.DEFAULT_SIGNATURE == constants.SIGNATURE_NAME
    assert classification.SAMPLE_RATE == constants.SAMPLE_RATE == constants.WINDOW_SAMPLES


def test_committed_model_metadata_matches_when_present() -> None:
    metas = sorted(constants.MODEL_BASE_PATH.glob("*/assets.extra/" + constants.METADATA_FILENAME))
    if not metas:
        pytest.skip("no exported model yet")
    meta = json.loads(metas[-1].read_text())
    assert meta["classes"] == list(constants.CLASS_NAMES)
    assert meta["signature"]["input"]["alias"] == constants.INPUT_ALIAS
    assert meta["size_bytes"] < 5 * 1024 * 1024


# --- real recordings ---------------------------------------------------------------------------------


def test_no_reserved_package_is_used_and_splits_are_disjoint() -> None:
    reserved = debian_audio.reserved_packages()
    assert debian_audio.RESERVED_FALLBACK <= reserved
    assert not set(debian_audio.TRAIN_PACKAGES) & reserved
    assert not set(debian_audio.EVAL_PACKAGES) & reserved
    assert not set(debian_audio.TRAIN_PACKAGES) & set(debian_audio.EVAL_PACKAGES)
    with pytest.raises(RuntimeError, match="reserved"):
        debian_audio.check_not_reserved(["asterisk-core-sounds-en-wav"])
    with pytest.raises(RuntimeError):
        debian_audio.fetch(["pingus-data"])


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


@pytest.mark.parametrize(
    ("rule", "path", "label"),
    [
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/silence/3.wav", "silence"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/beep.wav", "tone"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/ascending-2tone.wav", "tone"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/tt-monkeys.wav", "noise"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/digits/7.wav", "speech"),
        (debian_audio._game, "/usr/share/games/x/sounds/bgm1.ogg", "music"),
        (debian_audio._game, "/usr/share/games/x/sounds/hit.wav", "noise"),
        (debian_audio._linphone, "/usr/share/sounds/linphone/ringback.wav", "tone"),
        (debian_audio._linphone, "/usr/share/sounds/linphone/incoming_chat.wav", None),
    ],
)
def test_label_rules(rule, path: str, label: str | None) -> None:
    assert rule(path) == label


# --- dataset rules -----------------------------------------------------------------------------------


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


# --- synthesis ---------------------------------------------------------------------------------------


def _parse_midi(data: bytes) -> tuple[int, list[list[bytes]]]:
    assert data[:4] == b"MThd"
    _, fmt, ntracks, _ = struct.unpack(">IHHH", data[4:14])
    pos, tracks = 14, []
    for _ in range(ntracks):
        assert data[pos : pos + 4] == b"MTrk"
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        body, i, events = data[pos + 8 : pos + 8 + length], 0, []
        while i < len(body):
            while body[i] & 0x80:  # delta time (VLQ)
                i += 1
            i += 1
            status = body[i]
            if status == 0xFF:
                n = body[i + 2]
                events.append(body[i : i + 3 + n])
                i += 3 + n
            else:
                size = 2 if status & 0xF0 in (0xC0, 0xD0) else 3
                events.append(body[i : i + size])
                i += size
        tracks.append(events)
        pos += 8 + length
    assert pos == len(data)
    return fmt, tracks


def test_midi_writer_produces_well_formed_files() -> None:
    for seed in range(5):
        data, bpm = music.random_song(np.random.default_rng(seed), 8.0)
        fmt, tracks = _parse_midi(data)
        assert fmt == 1 and 60 <= bpm <= 180 and len(tracks) >= 2
        for events in tracks:
            assert events[-1] == b"\xff\x2f\x00"
            ons = sum(1 for e in events if e[0] & 0xF0 == 0x90)
            offs = sum(1 for e in events if e[0] & 0xF0 == 0x80)
            assert ons == offs


def test_dtmf_contains_the_standard_frequencies() -> None:
    x = tones.dtmf(np.random.default_rng(2), 2 * SR)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    peaks = freqs[np.argsort(spectrum)[-40:]]
    assert any(min(abs(peaks - f)) < 3 for f in tones.DTMF_LOW)
    assert any(min(abs(peaks - f)) < 3 for f in tones.DTMF_HIGH)


@pytest.mark.parametrize("codec", ["mp3", "gsm", "mulaw", "vorbis"])
def test_codec_roundtrip_keeps_length_and_alignment(codec: str) -> None:
    x = (tones.steady(np.random.default_rng(3), SR) * 0.3).astype(np.float32)
    y = dsp.codec_roundtrip(x, codec)
    assert len(y) == len(x)
    lowband = dsp.bandpass(x, 200, 3000)
    assert np.corrcoef(lowband, dsp.bandpass(y, 200, 3000))[0, 1] > 0.5


def test_levels() -> None:
    x = np.full(SR, 0.1, np.float32)
    assert dsp.rms_db(x) == pytest.approx(-20.0, abs=0.01)
    assert dsp.active_db(dsp.set_active_level(x, -33.0)) == pytest.approx(-33.0, abs=0.01)


def test_evaluation_report() -> None:
    result = evaluation_report.summary(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert result["accuracy"] == 0.75
    assert result["per_class"]["speech"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert result["per_class"]["silence"]["precision"] is None
    assert "confusion" in evaluation_report.render("x", result)


# --- configs and service control ---------------------------------------------------------------------


def test_serving_configs() -> None:
    models = (constants.MODELS_DIR / "models.config").read_text()
    assert 'name: "audio_classifier"' in models and 'base_path: "/models/audio_classifier"' in models
    assert re.search(r'version_labels\s*\{\s*key:\s*"stable"\s*value:\s*1\s*\}', models)
    batching = (constants.MODELS_DIR / "batching.config").read_text()
    size = int(re.search(r"max_batch_size\s*\{\s*value:\s*(\d+)", batching).group(1))
    assert size >= classification.ClientConfig().max_batch_windows
    monitoring = (constants.MODELS_DIR / "monitoring.config").read_text()
    assert '"/monitoring/prometheus/metrics"' in monitoring and "enable: true" in monitoring
