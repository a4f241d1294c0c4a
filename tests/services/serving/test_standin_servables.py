"""The stand-in's model loading (serving.standin.servables, .config) in the serving virtualenv.

Version policies, labels and failed loads as tensorflow_model_server treats them, the /models/ path
mapping, and the single-model flags; the committed SavedModel stands in for every version.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pipelinectl.services import model_server

pytestmark = pytest.mark.serving

LOAD_MODELS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from google.protobuf import text_format
    from tensorflow_serving.apis import model_pb2
    from tensorflow_serving.config import model_server_config_pb2
    from serving.standin.config import Batching, load_model_config, parse_args
    from serving.standin.errors import ServingError
    from serving.standin.monitoring import Monitoring
    from serving.standin.servables import ModelServer

    root = sys.argv[1]
    config = text_format.Parse('''
    model_config_list {
      config { name: "all" base_path: "/models/clf" model_version_policy { all {} } }
      config { name: "latest2" base_path: "%s/clf" model_version_policy { latest { num_versions: 2 } } }
      config {
        name: "specific" base_path: "/models/clf" model_version_policy { specific { versions: [1, 3, 9] } }
        version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 9 }
      }
      config { name: "default" base_path: "/models/clf" }
      config { name: "missing" base_path: "/models/nothing" }
      config { name: "broken" base_path: "/models/broken" }
    }''' % root, model_server_config_pb2.ModelServerConfig())
    monitoring = Monitoring()
    server = ModelServer(config, Path(root), Batching(), monitoring)
    out = {name: [sorted(m.versions), m.labels] for name, m in server.models.items()}
    out["loads"] = sorted(line.replace(root, "ROOT") for line in monitoring.exposition().decode().splitlines()
                          if line.startswith(":tensorflow:cc:saved_model:load_attempt_count{"))

    def answer(call, *args):
        try:
            return call(*args)
        except ServingError as exc:
            return exc.code.name + ": " + str(exc)

    out["status_all"] = answer(server.status, "all")
    out["status_missing"] = answer(server.status, "missing")
    out["resolve_all"] = answer(lambda: server.resolve(model_pb2.ModelSpec(name="all"))[1].version)
    out["resolve_stable"] = answer(
        lambda: server.resolve(model_pb2.ModelSpec(name="specific", version_label="stable"))[1].version)
    out["resolve_broken"] = answer(server.resolve, model_pb2.ModelSpec(name="broken"))
    single = load_model_config(parse_args(["--model_name=one", "--model_base_path=/models/clf"]))
    out["single"] = text_format.MessageToString(single, as_one_line=True)
    try:
        load_model_config(parse_args([]))
    except SystemExit as exc:
        out["no_model"] = str(exc)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clf/1..3 (the committed model each), clf/notes (not a version), broken/1 (no SavedModel)."""
    committed = sorted((model_server.MODELS_DIR / model_server.MODEL_NAME).glob("[0-9]*/saved_model.pb"))
    if not committed:
        pytest.skip("no exported model under serving/models/audio_classifier: run python -m serving.training.train")
    root = tmp_path_factory.mktemp("models")
    for version in (1, 2, 3):
        (root / "clf").mkdir(exist_ok=True)
        (root / "clf" / str(version)).symlink_to(committed[-1].parent, target_is_directory=True)
    (root / "clf" / "notes").mkdir()
    (root / "broken" / "1").mkdir(parents=True)
    return root


def test_version_policies_labels_and_failed_loads(run_serving_python, models_root: Path) -> None:
    got = json.loads(run_serving_python(LOAD_MODELS, str(models_root)).strip().splitlines()[-1])
    assert got["all"] == [[1, 2, 3], {}]
    assert got["latest2"] == [[2, 3], {}]
    assert got["specific"] == [[1, 3], {"stable": 1}]  # version 9 is not on disk, nor is its label kept
    assert got["default"] == [[3], {}]  # no policy: the latest version
    assert got["missing"] == got["broken"] == [[], {}]
    name = ":tensorflow:cc:saved_model:load_attempt_count"
    assert got["loads"] == [
        f'{name}{{model_path="ROOT/broken/1",status="failure"}} 1.0',
        f'{name}{{model_path="ROOT/clf/1",status="success"}} 2.0',
        f'{name}{{model_path="ROOT/clf/2",status="success"}} 2.0',
        f'{name}{{model_path="ROOT/clf/3",status="success"}} 4.0',
    ]
    assert got["status_all"] == [[3, "AVAILABLE"], [2, "AVAILABLE"], [1, "AVAILABLE"]]
    assert got["status_missing"] == "NOT_FOUND: Could not find any versions of model missing"
    assert got["resolve_all"] == 3 and got["resolve_stable"] == 1
    assert got["resolve_broken"] == "NOT_FOUND: Servable not found for request: Latest(broken)"
    assert (
        got["single"]
        == 'model_config_list { config { name: "one" base_path: "/models/clf" model_platform: "tensorflow" } }'
    )
    assert got["no_model"] == "need --model_config_file or --model_base_path"
