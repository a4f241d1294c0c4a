"""Real traffic through the flow, then every Grafana panel's query must return data from the real
Prometheus (scraping NiFi, the Pushgateway fed by our processors, and the model server).
Named to sort (and run) last, after the other e2e tests have sent their traffic too."""

from __future__ import annotations

import shutil
import time

import pytest
from audio_pipeline.classification import ClientConfig, ServingClient
from audio_pipeline.errors import ServingRequestError
from support.pipeline_instance import Pipeline

from pipelinectl import dashboard_queries, promql


def _send_traffic(pipeline: Pipeline, audio) -> None:
    reference = audio.speech(rate=16000)
    shutil.copyfile(reference, pipeline.settings.references_dir / "dash-ref.wav")
    degraded = audio.degrade(reference, "noise", rate=16000)
    sent = {
        "dash-speech.wav": (degraded.read_bytes(), "dash-ref.wav"),
        "dash-tone.wav": (audio.tone(duration=2.0).read_bytes(), None),
        "dash-tone-copy.flac": (audio.transcode(audio.tone(duration=2.0), "flac").read_bytes(), None),
        "dash-bad.wav": (b"definitely not audio" * 20, None),
    }
    for name, (body, ref) in sent.items():
        assert pipeline.post(body, name, reference=ref).status_code == 200
    for name in sent:
        pipeline.wait_for(name)
    # One rejected request, so the model server's error counters have a series too.
    with (
        ServingClient(
            ClientConfig(
                target=f"127.0.0.1:{pipeline.settings.serving_grpc_port}", model_name="missing", max_attempts=1
            )
        ) as client,
        pytest.raises(ServingRequestError),
    ):
        client.predict(audio_windows())


def audio_windows():
    import numpy as np

    return np.zeros((1, 16000), dtype=np.float32)


def test_every_panel_query_returns_data(pipeline: Pipeline, audio) -> None:
    _send_traffic(pipeline, audio)
    queries = dashboard_queries.panel_queries()
    assert len(queries) > 20
    deadline = time.monotonic() + 150  # pushes every 2 s, scrapes every 15 s, rate() needs two samples
    missing = list(queries)
    while missing and time.monotonic() < deadline:
        missing = [(title, expr) for title, expr in missing if not promql.query(pipeline.settings, expr)]
        if missing:
            time.sleep(5)
    assert not missing, "panels without data:\n" + "\n".join(f"{t}: {e}" for t, e in missing)
