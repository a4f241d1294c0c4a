"""The versioned flow files' form: what `./scripts/flow export` writes is what is committed, and the
helpers that make an export stable (no instance ids, fixed order, blank environment, same group id)."""

from __future__ import annotations

import json

import pytest

from bench import execute_stream_command as bench_esc
from pipelinectl import flow
from pipelinectl.nifi import flow_file

GROUP = "11111111-1111-3111-8111-111111111111"


def _snapshot(group: str = GROUP) -> dict:
    return {
        "latest": True,
        "flowContents": {
            "identifier": group,
            "instanceIdentifier": "runtime-id-of-the-group",
            "processors": [
                {
                    "identifier": "p-2",
                    "name": "Write result",
                    "groupIdentifier": group,
                    "instanceIdentifier": "i2",
                    "autoTerminatedRelationships": ["success", "failure"],
                },
                {"identifier": "p-1", "name": "Decode", "groupIdentifier": group, "instanceIdentifier": "i1"},
            ],
            "connections": [
                {
                    "identifier": "c-1",
                    "name": "",
                    "source": {"id": "p-1", "groupId": group},
                    "destination": {"id": "p-2", "groupId": group},
                },
            ],
        },
        "parameterContexts": {
            "ctx": {
                "name": "ctx",
                "parameters": [
                    {"name": "results_dir", "sensitive": False, "value": "/srv/results"},
                    {"name": "hop", "sensitive": False, "value": "1.0"},
                ],
            },
        },
    }


@pytest.mark.parametrize(
    ("path", "blank"),
    [
        (flow.FLOW_FILE, flow.MANAGED_PARAMETERS),
        (bench_esc.FLOW_FILE, bench_esc.PARAMETERS),
    ],
)
def test_committed_flow_files_are_in_the_export_form(path, blank) -> None:
    text = path.read_text()
    assert flow_file.dumps(flow_file.normalize(json.loads(text), blank)) == text


def test_committed_pipeline_flow_leaves_every_environment_parameter_blank() -> None:
    parameters = flow.read_flow()["parameterContexts"][flow.PARAMETER_CONTEXT]["parameters"]
    managed = {p["name"]: p["value"] for p in parameters if p["name"] in flow.MANAGED_PARAMETERS}
    assert set(managed) == flow.MANAGED_PARAMETERS
    assert set(managed.values()) == {""}


def test_normalize_drops_runtime_ids_orders_lists_and_blanks_the_environment() -> None:
    result = flow_file.normalize(_snapshot(), {"results_dir"})

    assert "latest" not in result
    assert "instanceIdentifier" not in json.dumps(result)
    contents = result["flowContents"]
    assert [p["name"] for p in contents["processors"]] == ["Decode", "Write result"]
    assert contents["processors"][1]["autoTerminatedRelationships"] == ["failure", "success"]
    parameters = {p["name"]: p["value"] for p in result["parameterContexts"]["ctx"]["parameters"]}
    assert parameters == {"hop": "1.0", "results_dir": ""}
    assert _snapshot()["flowContents"]["processors"][0]["name"] == "Write result", "the input is not changed"


def test_with_group_identifier_puts_the_files_group_id_back_everywhere() -> None:
    uploaded = _snapshot(group="22222222-2222-3222-8222-222222222222")

    result = flow_file.with_group_identifier(uploaded, GROUP)

    assert result == _snapshot(group=GROUP)
    assert "22222222" in json.dumps(uploaded), "the input is not changed"


def test_fill_parameters_sets_only_the_named_values() -> None:
    result = flow_file.fill_parameters(_snapshot(), "ctx", {"results_dir": "/tmp/r", "unknown": "x"})

    parameters = {p["name"]: p["value"] for p in result["parameterContexts"]["ctx"]["parameters"]}
    assert parameters == {"results_dir": "/tmp/r", "hop": "1.0"}
