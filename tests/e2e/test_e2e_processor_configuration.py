"""What a flow author sees of our processors in a real NiFi: the documentation NiFi builds from the
source, validation that rejects bad configuration before any file arrives, and a database password
that never leaves NiFi in clear text."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from support.nifi_python import PROCESSOR_TYPES
from support.pipeline_instance import Pipeline

from pipelinectl import flow
from pipelinectl.nifi.groups import PYTHON_BUNDLE_ARTIFACT
from pipelinectl.nifi.rest_client import CLIENT_ID, NiFiClient

BUNDLE = {"group": "org.apache.nifi", "artifact": PYTHON_BUNDLE_ARTIFACT, "version": "0.1.0"}


def _definition(nifi: NiFiClient, processor_type: str) -> dict[str, Any]:
    coordinate = f"{BUNDLE['group']}/{BUNDLE['artifact']}/{BUNDLE['version']}"
    return nifi.get(f"/flow/processor-definition/{coordinate}/{processor_type}")


def test_nifi_documents_every_processor_from_its_source(pipeline: Pipeline) -> None:
    nifi = flow.client(pipeline.settings)
    for processor_type in PROCESSOR_TYPES:
        definition = _definition(nifi, processor_type)
        assert definition["typeDescription"].startswith("Expects "), processor_type
        assert definition["useCases"] and definition["useCases"][0]["configuration"], processor_type
        properties = definition["propertyDescriptors"]
        assert all(p["description"].endswith(".") for p in properties.values()), processor_type
        if "Database URL" in properties:
            assert properties["Database Password"]["sensitive"] is True
    classify = _definition(nifi, "ClassifyAudio")["propertyDescriptors"]
    assert classify["Hop Duration"]["defaultValue"] == "1 sec"
    status = _definition(nifi, "RecordResult")["propertyDescriptors"]["Status"]
    assert [v["value"] for v in status["allowableValues"]] == ["ok", "quarantined"]
    analysis = _definition(nifi, "DecodeAudio")["multiProcessorUseCases"]
    assert [c["processorClassName"] for c in analysis[0]["configurations"]][2:] == [
        "DecodeAudio",
        "ClassifyAudio",
        "FingerprintAudio",
        "ScoreSpeechQuality",
        "RecordResult",
    ]
    catalog = _definition(nifi, "RegisterCatalogTrack")["multiProcessorUseCases"]
    assert [c["processorClassName"] for c in catalog[0]["configurations"]] == [
        "ListFile",
        "FetchFile",
        "DecodeAudio",
        "RegisterCatalogTrack",
    ]


@contextmanager
def _scratch_processor(nifi: NiFiClient, processor_type: str) -> Iterator[str]:
    """A new processor of `processor_type` in the root group (outside the pipeline), removed after."""
    body = {
        "revision": {"version": 0, "clientId": CLIENT_ID},
        "component": {"type": processor_type, "bundle": BUNDLE, "name": f"scratch {processor_type}"},
    }
    processor_id = nifi.post(f"/process-groups/{nifi.root_id()}/processors", body)["id"]
    try:
        yield processor_id
    finally:
        revision = nifi.get(f"/processors/{processor_id}")["revision"]
        nifi.request(
            "DELETE", f"/processors/{processor_id}", params={"version": revision["version"], "clientId": CLIENT_ID}
        )


# How NiFi reports a Python processor whose Python side is not ready yet (environment, dependencies, code).
LOADING_STATES = ("Initializing", "Downloading", "In the process of", "not yet", "not finished")


def _validation_errors(nifi: NiFiClient, processor_id: str, properties: dict[str, str]) -> list[str]:
    """Set `properties` on the (stopped) processor and return NiFi's verdict once its Python side answers."""
    revision = nifi.get(f"/processors/{processor_id}")["revision"] | {"clientId": CLIENT_ID}
    body = {"revision": revision, "component": {"id": processor_id, "config": {"properties": properties}}}
    nifi.put(f"/processors/{processor_id}", body)
    deadline = time.monotonic() + 300
    while True:
        component = nifi.get(f"/processors/{processor_id}")["component"]
        errors = component.get("validationErrors") or []
        loading = any(state in e for e in errors for state in LOADING_STATES)
        settled = component.get("validationStatus") != "VALIDATING" and not loading
        if settled:
            unconnected = ("Upstream Connections", "is not connected to any component")  # a scratch processor's
            return [e for e in errors if not any(reason in e for reason in unconnected)]
        assert time.monotonic() < deadline, f"still validating: {errors}"
        time.sleep(1.0)


def test_bad_configuration_is_invalid_before_any_file_arrives(pipeline: Pipeline) -> None:
    nifi = flow.client(pipeline.settings)
    with _scratch_processor(nifi, "ClassifyAudio") as classify:
        assert _validation_errors(nifi, classify, {"Model Server": "127.0.0.1:8500"}) == []
        [hop] = _validation_errors(nifi, classify, {"Hop Duration": "0 sec"})  # it used to quarantine every file
        assert "Hop Duration" in hop and "0 ms" in hop
        [window] = _validation_errors(nifi, classify, {"Hop Duration": "2 secs"})
        assert "Hop Duration" in window and "Window Duration" in window
        [server] = _validation_errors(nifi, classify, {"Hop Duration": "1 sec", "Model Server": "tfserving"})
        assert "Model Server" in server
    with _scratch_processor(nifi, "ScoreSpeechQuality") as score:
        [thresholds] = _validation_errors(
            nifi, score, {"References Directory": "/nonexistent", "Quality Thresholds": "3.6,4.02,3.1,2.58"}
        )
        assert "Quality Thresholds" in thresholds and "decreasing" in thresholds


def test_the_database_password_never_leaves_nifi_in_clear_text(pipeline: Pipeline) -> None:
    password = pipeline.settings.results_database_password
    assert password, "the e2e instance is deployed with a database password (tests/e2e/conftest.py)"
    nifi = flow.client(pipeline.settings)
    group = nifi.child_group(flow.GROUP_NAME)
    assert group is not None
    seen = {
        "flow download": nifi.download_group(group["id"]),
        "parameter context": nifi.parameter_context(flow.PARAMETER_CONTEXT),
        "processors": nifi.processors(group["id"]),
    }
    for where, answer in seen.items():
        assert password not in json.dumps(answer), where
    [parameter] = [
        p["parameter"]
        for p in seen["parameter context"]["component"]["parameters"]
        if p["parameter"]["name"] == "results_database_password"
    ]
    assert parameter["sensitive"] is True and parameter["value"] != password
