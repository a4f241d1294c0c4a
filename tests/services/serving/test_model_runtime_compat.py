"""The committed SavedModel works in the TensorFlow of the compose stack's real model server.

The model is trained and exported with requirements/serving.txt's TensorFlow; docker-compose.yml runs
`tensorflow/serving:${TF_SERVING_TAG}`, which is built on the TensorFlow release of the same number
and cannot run here (no Docker engine). An export from a newer TensorFlow can use ops or attributes an
older runtime does not know, and then the server refuses to load it. So the model is loaded through its
serving signature in both runtimes (.venv-serving and .venv-tf-runtime, requirements/tf-runtime.txt)
and must give the same probabilities for the same windows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipelinectl.services import model_server

pytestmark = pytest.mark.serving

COMPOSE_FILE = model_server.REPO_ROOT / "docker-compose.yml"

PREDICT = """
import json, sys
import numpy as np
import tensorflow as tf
windows = np.asarray(json.loads(sys.stdin.read()), dtype=np.float32)
predict = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
(name,) = predict.structured_input_signature[1]
outputs = predict(**{name: tf.constant(windows)})
print(json.dumps({"tensorflow": tf.__version__,
                  "outputs": {k: v.numpy().astype(float).tolist() for k, v in outputs.items()}}))
"""


def compose_serving_tag() -> str:
    found = re.search(r"tensorflow/serving:\$\{TF_SERVING_TAG:-([0-9.]+)\}", COMPOSE_FILE.read_text())
    assert found, "docker-compose.yml names no default tensorflow/serving tag"
    return found.group(1)


def locked_tensorflow(requirements: Path) -> str:
    found = re.search(r"^tensorflow[-_]cpu==(\S+)$", requirements.read_text(), re.MULTILINE)
    assert found, f"{requirements} pins no tensorflow-cpu"
    return found.group(1)


def model_dir() -> Path:
    versions = sorted((model_server.MODELS_DIR / model_server.MODEL_NAME).iterdir(), key=lambda p: int(p.name))
    return versions[-1]


def windows() -> list[list[float]]:
    """One second each at 16 kHz: a tone, a chord with noise, noise, near-silence."""
    rng = np.random.default_rng(7)
    t = np.arange(16000) / 16000
    rows = [
        0.4 * np.sin(2 * np.pi * 440 * t),
        0.2 * np.sin(2 * np.pi * 261.6 * t) + 0.2 * np.sin(2 * np.pi * 329.6 * t) + 0.05 * rng.standard_normal(16000),
        0.3 * rng.standard_normal(16000),
        1e-4 * rng.standard_normal(16000),
    ]
    return np.clip(np.stack(rows), -1, 1).astype(np.float32).tolist()


def predict_in(venv: Path, inputs: list[list[float]]) -> dict:
    python = model_server.venv_python(venv)
    if not python.exists():
        pytest.skip(f"{venv} absent: create it with `python -m pipelinectl.setup --for-tests`")
    done = subprocess.run(
        [str(python), "-c", PREDICT, str(model_dir())],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_runtime_lock_is_the_compose_images_tensorflow() -> None:
    assert locked_tensorflow(model_server.RUNTIME_CHECK_REQUIREMENTS) == compose_serving_tag()


def test_the_model_predicts_the_same_in_the_compose_images_tensorflow() -> None:
    inputs = windows()
    exported = predict_in(model_server.VENV_DIR, inputs)
    served = predict_in(model_server.RUNTIME_CHECK_VENV_DIR, inputs)

    assert exported["tensorflow"] == locked_tensorflow(model_server.REQUIREMENTS)
    assert served["tensorflow"] == compose_serving_tag()
    assert exported["outputs"].keys() == served["outputs"].keys()
    for name, values in exported["outputs"].items():
        assert np.asarray(values).shape == (len(inputs), *np.asarray(values).shape[1:])
        np.testing.assert_allclose(served["outputs"][name], values, atol=1e-5, err_msg=name)
