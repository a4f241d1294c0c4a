"""The flow steps as plain functions: what each processor imports, what the decode step sends on as content."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps
from audio_pipeline.analysis_wav import is_analysis_form, read_analysis_wav, to_wav_bytes
from audio_pipeline.decoding import decode

PROCESSORS_DIR = Path(__file__).resolve().parents[3] / "nifi" / "python-processors"


def test_input_already_in_analysis_form_is_recognised_and_kept_by_the_decode_step(tmp_path: Path) -> None:
    pcm = np.random.default_rng(1).integers(-32768, 32768, 16000).astype(np.int16)
    path = tmp_path / "speech.wav"
    sf.write(str(path), pcm, 16000, subtype="PCM_16")  # libsndfile's own header, not ours
    data = path.read_bytes()
    assert is_analysis_form(data, decode(data))
    step = flow_steps.decode(data, target_rate=16000, max_duration_s=60)
    assert step.content is None  # the FlowFile keeps the received bytes
    assert step.attributes[attr.SAMPLE_RATE] == "16000"
    np.testing.assert_array_equal(read_analysis_wav(data)[0], decode(data).samples)


@pytest.mark.parametrize(
    ("rate", "subtype", "channels", "target"),
    [
        (16000, "PCM_16", 1, 8000),  # resampled
        (16000, "PCM_16", 2, 16000),  # downmixed
        (16000, "PCM_24", 1, 16000),  # requantised
        (16000, "FLOAT", 1, 16000),
    ],
)
def test_other_input_is_rewritten_to_the_analysis_form(
    tmp_path: Path, rate: int, subtype: str, channels: int, target: int
) -> None:
    x = np.random.default_rng(2).uniform(-0.5, 0.5, (rate, channels)).astype(np.float32)
    path = tmp_path / "in.wav"
    sf.write(str(path), x, rate, subtype=subtype)
    data = path.read_bytes()
    assert not is_analysis_form(data, decode(data, target_rate=target))
    step = flow_steps.decode(data, target_rate=target, max_duration_s=60)
    assert step.content is not None
    assert read_analysis_wav(step.content)[1] == target


def test_flac_of_analysis_form_samples_is_still_rewritten(tmp_path: Path) -> None:
    pcm = np.random.default_rng(3).integers(-32768, 32768, 1600).astype(np.int16)
    path = tmp_path / "in.flac"
    sf.write(str(path), pcm, 16000, subtype="PCM_16")
    data = path.read_bytes()
    assert not is_analysis_form(data, decode(data))  # same samples, but not a WAV downstream can read fast
    assert flow_steps.decode(data, target_rate=16000, max_duration_s=60).content is not None


def _modules_loaded_by(code: str) -> set[str]:
    """Module names in `sys.modules` after running `code` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(PROCESSORS_DIR)}
    run = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return set(run.stdout.split())


def test_record_results_import_chain_loads_no_audio_libraries() -> None:
    """RecordResult imports flow_steps, results_store and metrics; it reads no content."""
    loaded = _modules_loaded_by(
        "import audio_pipeline.flow_steps, audio_pipeline.results_store, audio_pipeline.metrics"
    )
    assert "audio_pipeline.flow_steps" in loaded
    assert not loaded & {"soundfile", "soxr", "audio_pipeline.decoding"}


def test_reading_the_analysis_form_needs_no_soxr() -> None:
    loaded = _modules_loaded_by(
        "import numpy as np\n"
        "from audio_pipeline import analysis_wav\n"
        "analysis_wav.read_analysis_wav(analysis_wav.to_wav_bytes(np.zeros(16), 16000))"
    )
    assert "audio_pipeline.analysis_wav" in loaded
    assert not loaded & {"soundfile", "soxr", "audio_pipeline.decoding"}


class _FakeIndex:
    """Stands in for FingerprintIndex: records what the steps hand it."""

    def __init__(self, duplicate_of: str | None) -> None:
        self.duplicate_of = duplicate_of
        self.calls: list[tuple] = []

    def check_duplicate(self, fingerprint: str, sha256: str, name: str) -> str | None:
        self.calls.append(("check_duplicate", sha256, name))
        return self.duplicate_of

    def match(self, samples: np.ndarray, rate: int) -> None:
        self.calls.append(("match", samples.size, rate))
        return None

    def register_track(self, track_id: str, samples: np.ndarray, rate: int) -> int:
        self.calls.append(("register_track", track_id, samples.size))
        return 321


def _tone_content(seconds: float) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    return to_wav_bytes((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)


def test_fingerprint_step_attributes() -> None:
    index = _FakeIndex("earlier.wav--1")
    content = _tone_content(4.0)
    attributes = {attr.OUTPUT_NAME: "this.wav--2", attr.SHA256: "ab"}
    step = flow_steps.fingerprint(content, attributes, index=index, max_match_seconds=1.0)  # type: ignore[arg-type]
    assert step.route == flow_steps.SUCCESS and step.content is None
    assert step.attributes[attr.FINGERPRINT_CHROMAPRINT]
    assert {k: v for k, v in step.attributes.items() if k != attr.FINGERPRINT_CHROMAPRINT} == {
        attr.DUPLICATE_OF: "earlier.wav--1",
        attr.FINGERPRINT_MATCH: "",
        attr.FINGERPRINT_SCORE: "0",
        attr.FINGERPRINT_OFFSET_SECONDS: "",
    }
    assert index.calls == [("check_duplicate", "ab", "this.wav--2"), ("match", 16000, 16000)]


def test_register_catalog_track_step_attributes() -> None:
    index = _FakeIndex(None)
    step = flow_steps.register_catalog_track(_tone_content(1.0), {attr.FILENAME: "song.flac"}, index=index)  # type: ignore[arg-type]
    assert step.attributes == {attr.CATALOG_TRACK_ID: "song", attr.CATALOG_HASHES: "321"}


def test_classify_step_routes_to_retry_with_the_reason_while_serving_is_unavailable() -> None:
    from audio_pipeline.classification import Windowing
    from audio_pipeline.errors import ServingUnavailableError

    class _DownClient:
        def predict(self, windows: np.ndarray) -> None:
            raise ServingUnavailableError("connection refused", status="UNAVAILABLE")

    step = flow_steps.classify(_tone_content(2.0), client=_DownClient(), windowing=Windowing())  # type: ignore[arg-type]
    assert step.route == flow_steps.RETRY
    assert step.attributes == {attr.RETRY_REASON: "UNAVAILABLE: connection refused"}
