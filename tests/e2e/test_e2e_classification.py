"""ClassifyAudio through the real flow against the TF Serving stand-in (real gRPC API), including a
model-server outage: files wait on the retry route and are classified once it is back."""

from __future__ import annotations

import json
import time

from audio_pipeline.classification import CLASS_NAMES
from support.pipeline_instance import Pipeline

from pipelinectl.services import model_server


def test_files_are_classified_with_model_metadata(pipeline: Pipeline, audio) -> None:
    assert pipeline.post(audio.speech(rate=16000).read_bytes(), "classify-speech.wav").status_code == 200
    kind, attrs = pipeline.wait_for("classify-speech.wav")
    assert kind == "result"
    assert attrs["audio.class"] == "speech"
    scores = json.loads(attrs["audio.class.scores"])
    assert set(scores) == set(CLASS_NAMES) and abs(sum(scores.values()) - 1.0) < 0.01
    assert 0.0 < float(attrs["audio.class.confidence"]) <= 1.0
    assert attrs["audio.model.name"] == "audio_classifier" and attrs["audio.model.version"].isdigit()
    segments = json.loads(attrs["audio.class.segments"])
    assert segments and segments[0]["start"] == 0.0


def test_model_server_outage_delays_but_loses_nothing(pipeline: Pipeline, audio) -> None:
    model_server.service(pipeline.settings).stop()
    try:
        names = [f"during-outage-{i}.wav" for i in range(3)]
        for i, name in enumerate(names):
            body = audio.tone(duration=1.0, freq=300.0 + 100 * i).read_bytes()
            assert pipeline.post(body, name).status_code == 200
        time.sleep(15)
        ended = {a.get("filename") for _, a in pipeline.outcomes()}
        assert not ended & set(names), "nothing may finish (or fail) while the model server is down"
    finally:
        model_server.service(pipeline.settings).start()
    for name in names:
        kind, attrs = pipeline.wait_for(name, timeout=240)
        assert kind == "result" and attrs["audio.class"] == "tone"
