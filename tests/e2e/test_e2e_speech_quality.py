"""ScoreSpeechQuality in the running flow: PESQ equals the pesq package's on the files as given."""

from __future__ import annotations

import shutil

import psutil
import pytest
import requests
import soundfile as sf
from pesq import pesq
from support.pipeline_instance import Pipeline

from bench import memory as bench_memory


@pytest.mark.parametrize(("rate", "mode"), [(16000, "wb"), (8000, "nb")])
def test_pesq_against_named_reference(pipeline: Pipeline, audio, rate: int, mode: str) -> None:
    reference = audio.speech(rate=rate)
    degraded = audio.degrade(reference, "noise", rate=rate)
    ref_name = f"ref-{rate}.wav"
    shutil.copyfile(reference, pipeline.settings.references_dir / ref_name)
    ref, _ = sf.read(str(reference))
    deg, _ = sf.read(str(degraded))
    expected = pesq(rate, ref, deg, mode)

    assert pipeline.post(degraded.read_bytes(), f"call-{rate}.wav", reference=ref_name).status_code == 200
    kind, attrs = pipeline.wait_for(f"call-{rate}.wav")

    assert kind == "result"
    assert attrs["audio.pesq.mode"] == mode
    assert attrs["audio.reference.filename"] == ref_name
    assert abs(float(attrs["audio.pesq.mos"]) - expected) <= 0.01
    assert attrs["audio.quality.label"] in {"Excellent", "Good", "Fair", "Poor", "Bad"}


def test_reference_by_same_name_from_inbox(pipeline: Pipeline, audio) -> None:
    reference = audio.speech(voice="en-gb", rate=16000)
    degraded = audio.degrade(reference, "lowpass", rate=16000)
    shutil.copyfile(reference, pipeline.settings.references_dir / "meeting.wav")

    pipeline.drop(degraded, "meeting.wav")
    kind, attrs = pipeline.wait_for("meeting.wav")

    assert kind == "result" and attrs["audio.reference.filename"] == "meeting.wav"
    assert float(attrs["audio.pesq.mos"]) > 1.0


def test_without_reference_is_a_result_without_score(pipeline: Pipeline, audio) -> None:
    assert pipeline.post(audio.tone(duration=2.0).read_bytes(), "no-ref-tone.wav").status_code == 200
    kind, attrs = pipeline.wait_for("no-ref-tone.wav")
    assert kind == "result"
    assert "audio.pesq.mos" not in attrs


def test_path_like_reference_is_refused(pipeline: Pipeline, audio) -> None:
    source = audio.speech(rate=22050)
    assert (
        pipeline.post(source.read_bytes(), "sneaky.wav", reference="../state/nifi-sensitive-props.key").status_code
        == 200
    )
    kind, attrs = pipeline.wait_for("sneaky.wav")
    assert kind == "quarantine"
    assert attrs["audio.error"] == "invalid_reference"
    # failed after decoding: the quarantined audio is the analysis form the step read (README, Quarantine)
    (quarantined,) = [p for p in pipeline.settings.quarantine_dir.glob(f"*--{attrs['uuid']}")]
    info = sf.info(str(quarantined))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert abs(info.duration - sf.info(str(source)).duration) < 0.01


def _pesq_workers(pipeline: Pipeline) -> list[psutil.Process]:
    """ScoreSpeechQuality's PESQ worker processes of this pipeline's NiFi (its venvs live in the data dir)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if (
            cmdline
            and cmdline[0].startswith(str(pipeline.settings.data_dir))
            and bench_memory.label_of(cmdline) == "ScoreSpeechQuality worker process"
        ):
            found.append(process)
    return found


def test_pesq_runs_in_worker_processes_that_are_replaced_when_they_die(pipeline: Pipeline, audio) -> None:
    reference = audio.speech(voice="en-us", rate=16000)
    shutil.copyfile(reference, pipeline.settings.references_dir / "pool-ref.wav")
    degraded = audio.degrade(reference, "noise", rate=16000).read_bytes()

    assert pipeline.post(degraded, "pool-1.wav", reference="pool-ref.wav").status_code == 200
    kind, first = pipeline.wait_for("pool-1.wav")
    assert kind == "result" and float(first["audio.pesq.mos"]) > 1.0
    workers = _pesq_workers(pipeline)
    assert workers, "PESQ ran, so the processor's worker pool has processes"

    for worker in workers:
        worker.kill()
    psutil.wait_procs(workers, timeout=10)
    assert pipeline.post(degraded, "pool-2.wav", reference="pool-ref.wav").status_code == 200
    kind, second = pipeline.wait_for("pool-2.wav")

    assert kind == "result"  # scored by fresh workers, not quarantined
    assert second["audio.pesq.mos"] == first["audio.pesq.mos"]
    assert _pesq_workers(pipeline) and not {w.pid for w in _pesq_workers(pipeline)} & {w.pid for w in workers}


@pytest.mark.parametrize("case", [str.lower, str.title, str.upper], ids=["lower", "Title", "UPPER"])
def test_headers_count_in_any_case(pipeline: Pipeline, audio, case) -> None:
    """HTTP header names are case-insensitive (RFC 9110): urllib sends `Filename`, HTTP/2 `filename`."""
    reference = audio.speech(rate=16000)
    ref_name = f"case-ref-{case.__name__}.wav"
    shutil.copyfile(reference, pipeline.settings.references_dir / ref_name)
    name = f"case-{case.__name__}.wav"
    headers = {case("filename"): name, case("reference"): ref_name}
    body = audio.degrade(reference, "noise", rate=16000).read_bytes()

    assert requests.post(pipeline.ingest_url, data=body, headers=headers, timeout=30).status_code == 200
    kind, attrs = pipeline.wait_for(name)

    assert kind == "result" and attrs["filename"] == name
    assert attrs["audio.output.name"].startswith(f"{name}--")
    assert attrs["audio.reference.filename"] == ref_name and float(attrs["audio.pesq.mos"]) > 1.0
    assert "audio.http.filename" not in attrs
