"""Real traffic through the flow, then every Grafana panel's query must return data from the real
Prometheus (scraping NiFi, the Pushgateway fed by our processors, and the model server).

The test sends every kind of file the panels need itself (scored speech, tones and a duplicate,
a file that is quarantined, a rejected model-server request), so it passes alone and in any order."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from audio_pipeline.classification import ClientConfig, ServingClient
from audio_pipeline.errors import ServingRequestError
from support import promql_names
from support.pipeline_instance import Pipeline

from pipelinectl import dashboard_queries, promql


def _send_traffic(pipeline: Pipeline, audio) -> None:
    reference = audio.speech(rate=16000)
    shutil.copyfile(reference, pipeline.settings.references_dir / "dash-ref.wav")
    degraded = audio.degrade(reference, "noise", rate=16000)
    sent = {  # name: (body, PESQ reference, expected outcome)
        "dash-speech.wav": (degraded.read_bytes(), "dash-ref.wav", "result"),
        "dash-tone.wav": (audio.tone(duration=2.0).read_bytes(), None, "result"),
        "dash-tone-copy.flac": (audio.transcode(audio.tone(duration=2.0), "flac").read_bytes(), None, "result"),
        "dash-bad.wav": (b"definitely not audio" * 20, None, "quarantine"),
    }
    for name, (body, ref, _) in sent.items():
        assert pipeline.post(body, name, reference=ref).status_code == 200
    for name, (_, _, expected) in sent.items():
        kind, attributes = pipeline.wait_for(name)
        assert kind == expected, attributes
    assert pipeline.wait_for("dash-speech.wav")[1].get("audio.quality.label"), "the speech file is scored"
    # One rejected request, so the model server's error counters have a series too.
    with (
        ServingClient(
            ClientConfig(
                target=f"127.0.0.1:{pipeline.settings.serving_grpc_port}", model_name="missing", max_attempts=1
            )
        ) as client,
        pytest.raises(ServingRequestError),
    ):
        client.predict(np.zeros((1, 16000), dtype=np.float32))


def test_every_panel_query_returns_data(pipeline: Pipeline, audio) -> None:
    _send_traffic(pipeline, audio)
    by_status = promql.wait_for_query(
        pipeline.settings,
        'sum by (status) (audio_pipeline_files_total{source="http"})',
        lambda r: {s["metric"]["status"] for s in r if float(s["value"][1]) > 0} == {"ok", "quarantined"},
        timeout=60,
    )
    assert {s["metric"]["status"] for s in by_status} == {"ok", "quarantined"}  # the results table's words

    # The Cluster row's panels read the cluster exporter, which a standalone NiFi has not: they get
    # data in tests/services/grafana/test_cluster_panel_queries.py.
    queries = [
        (title, expr)
        for title, expr in dashboard_queries.panel_queries()
        if not promql_names.selector_names(expr) & promql_names.cluster_series()
    ]
    assert len(queries) > 20
    deadline = time.monotonic() + 150  # pushes every 2 s, scrapes every 15 s, rate() needs two samples
    missing = list(queries)
    while missing and time.monotonic() < deadline:
        missing = [(title, expr) for title, expr in missing if not promql.query(pipeline.settings, expr)]
        if missing:
            time.sleep(5)
    assert not missing, "panels without data:\n" + "\n".join(f"{t}: {e}" for t, e in missing)
