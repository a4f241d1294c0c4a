"""A real NiFi runs the versioned flow: files from the inbox and from HTTP each end as exactly one
JSON result, and non-audio ends in quarantine with a reason."""

from __future__ import annotations

import hashlib
import subprocess

import soundfile as sf
from support.pipeline_instance import Pipeline

from pipelinectl import flow
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.settings import REPO_ROOT


def test_run_prints_the_entry_points(pipeline: Pipeline) -> None:
    out = pipeline.run_output
    assert f"http://127.0.0.1:{pipeline.settings.nifi_http_port}/nifi/" in out
    assert f"http://127.0.0.1:{pipeline.settings.ingest_http_port}/audio" in out
    assert str(pipeline.settings.inbox_dir) in out and str(pipeline.settings.results_dir) in out


def test_inbox_file_becomes_one_result(pipeline: Pipeline, audio) -> None:
    source = audio.tone(duration=3.0, rate=44100, channels=2)
    truth = sf.info(str(source)).duration
    pipeline.drop(source, "inbox-tone.wav")

    kind, attrs = pipeline.wait_for("inbox-tone.wav")

    assert kind == "result"
    assert attrs["audio.source"] == "folder"
    assert abs(float(attrs["audio.duration.seconds"]) - truth) <= 0.01 * truth
    assert attrs["audio.sample.rate"] == "16000" and attrs["audio.channels"] == "1"
    assert attrs["audio.original.sample.rate"] == "44100" and attrs["audio.original.channels"] == "2"
    assert attrs["audio.sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert not (pipeline.settings.inbox_dir / "inbox-tone.wav").exists(), "consumed files leave the inbox"


def test_http_post_becomes_one_result(pipeline: Pipeline, audio) -> None:
    source = audio.transcode(audio.speech(rate=22050), "flac")
    truth = sf.info(str(source)).duration

    response = pipeline.post(source.read_bytes(), "speech.flac", reference="speech-ref.wav")
    assert response.status_code == 200

    kind, attrs = pipeline.wait_for("speech.flac")
    assert kind == "result"
    assert attrs["audio.source"] == "http"
    assert attrs["audio.format"] == "flac"
    assert attrs["audio.reference"] == "speech-ref.wav"
    assert abs(float(attrs["audio.duration.seconds"]) - truth) <= 0.01 * truth


def test_non_audio_is_quarantined_with_reason(pipeline: Pipeline) -> None:
    body = b"This is a text file pretending to be audio.\n" * 20
    assert pipeline.post(body, "notes.wav").status_code == 200

    kind, attrs = pipeline.wait_for("notes.wav")

    assert kind == "quarantine"
    assert attrs["audio.error"] == "not_audio"
    assert attrs["audio.error.detail"]
    quarantined = [p for p in pipeline.settings.quarantine_dir.iterdir() if p.suffix != ".json"]
    assert any(p.read_bytes() == body for p in quarantined), "the original bytes are kept"


def test_run_again_changes_nothing(pipeline: Pipeline) -> None:
    nifi = flow.client(pipeline.settings)
    group_id = nifi.child_group(flow.GROUP_NAME)["id"]
    before = {p["id"]: p["revision"]["version"] for p in nifi.processors(group_id)}

    again = subprocess.run(
        [str(REPO_ROOT / "scripts" / "run")], env=pipeline.env, capture_output=True, text=True, timeout=300
    )

    assert again.returncode == 0, again.stderr
    assert again.stdout == pipeline.run_output
    assert {p["id"]: p["revision"]["version"] for p in nifi.processors(group_id)} == before


def test_thread_dump_of_the_running_nifi(pipeline: Pipeline) -> None:
    """What scripts/run keeps when NiFi leaves the flow deployment unanswered."""
    dump = nifi_instance.thread_dump(pipeline.settings)

    assert dump is not None and dump.parent == pipeline.settings.logs_dir / "nifi"
    text = dump.read_text()
    assert "Full thread dump" in text and "Timer-Driven Process Thread" in text
    dump.unlink()


def test_export_of_the_deployed_flow_is_the_committed_file(pipeline: Pipeline, tmp_path) -> None:
    """./scripts/flow export of the unchanged flow writes the committed file byte for byte, so that a
    diff after editing in the NiFi UI shows the edits and nothing else."""
    exported = tmp_path / "audio-pipeline.json"
    exported.write_bytes(flow.FLOW_FILE.read_bytes())

    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "flow"), "export", "--file", str(exported)],
        env=pipeline.env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert exported.read_text() == flow.FLOW_FILE.read_text()
