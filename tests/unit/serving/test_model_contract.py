"""What training, the stand-in and the pipeline's client agree on: the model contract and serving/models/.

serving.model_contract's names and shapes, the committed model's training metadata, and the TF
Serving config files (model, batching, monitoring).
"""

from __future__ import annotations

import json
import re

import pytest
from audio_pipeline import classification

from pipelinectl.services import model_server
from serving import model_contract


def test_client_and_model_agree_on_the_contract() -> None:
    assert classification.CLASS_NAMES == model_contract.CLASS_NAMES
    assert classification.INPUT_ALIAS == model_contract.INPUT_ALIAS
    assert classification.OUTPUT_ALIAS == model_contract.OUTPUT_ALIAS
    assert classification.DEFAULT_MODEL_NAME == model_contract.MODEL_NAME == model_server.MODEL_NAME
    assert classification.DEFAULT_SIGNATURE == model_contract.SIGNATURE_NAME
    assert classification.SAMPLE_RATE == model_contract.SAMPLE_RATE == model_contract.WINDOW_SAMPLES


def test_committed_model_metadata_matches_when_present() -> None:
    metas = sorted(model_contract.MODEL_BASE_PATH.glob("*/assets.extra/" + model_contract.METADATA_FILENAME))
    if not metas:
        pytest.skip("no exported model yet")
    meta = json.loads(metas[-1].read_text())
    assert meta["classes"] == list(model_contract.CLASS_NAMES)
    assert meta["signature"]["input"]["alias"] == model_contract.INPUT_ALIAS
    assert meta["size_bytes"] < 5 * 1024 * 1024


def test_tf_serving_config_files() -> None:
    models = (model_contract.MODELS_DIR / "models.config").read_text()
    assert 'name: "audio_classifier"' in models and 'base_path: "/models/audio_classifier"' in models
    assert re.search(r'version_labels\s*\{\s*key:\s*"stable"\s*value:\s*1\s*\}', models)
    batching = (model_contract.MODELS_DIR / "batching.config").read_text()
    size = int(re.search(r"max_batch_size\s*\{\s*value:\s*(\d+)", batching).group(1))
    assert size >= classification.ClientConfig().max_batch_windows
    monitoring = (model_contract.MODELS_DIR / "monitoring.config").read_text()
    assert '"/monitoring/prometheus/metrics"' in monitoring and "enable: true" in monitoring
