"""The committed flow reads in the NiFi UI as a person would organise it: five commented child
process groups joined through ports, every queue named, and each path still reaching the processor
it reached when the flow was one flat group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from pipelinectl import flow

GROUPS = {
    "Ingest": {"Watch inbox", "Mark folder source", "Receive HTTP", "Mark HTTP source", "Stamp ingest"},
    "Analyse": {"DecodeAudio", "ClassifyAudio", "FingerprintAudio", "ScoreSpeechQuality", "TranscribeSpeech"},
    "Record and deliver": {"Record result", "Result to JSON", "Name result file", "Write result"},
    "Quarantine": {
        "Mark quarantined",
        "Record quarantine",
        "Reason to JSON attribute",
        "Name quarantined file",
        "Write quarantined audio",
        "Reason as content",
        "Name reason file",
        "Write quarantine reason",
    },
    "Catalog": {
        "List catalog",
        "Fetch catalog file",
        "Mark catalog source",
        "Decode catalog track",
        "RegisterCatalogTrack",
    },
}


ANALYSIS_STEPS = (*sorted(GROUPS["Analyse"]), "Decode catalog track", "RegisterCatalogTrack")
PYTHON_PROCESS_RESTART_BACKOFF_S = 60  # NiFi restarts a dead Python process within this (NIFI-12659)


@pytest.fixture(scope="module")
def top() -> dict[str, Any]:
    return flow.read_flow()["flowContents"]


def _groups(group: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield group
    for child in group["processGroups"]:
        yield from _groups(child)


def _components(top: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """id -> (kind, name) of every processor and port in the flow."""
    out = {}
    for group in _groups(top):
        for processor in group["processors"]:
            out[processor["identifier"]] = ("PROCESSOR", processor["name"])
        for port in group["inputPorts"] + group["outputPorts"]:
            out[port["identifier"]] = (port["type"], f"{group['name']}.{port['name']}")
    return out


def _reached(top: dict[str, Any], source: str, relationship: str) -> set[str]:
    """The processors a FlowFile leaving processor `source` by `relationship` reaches next, through ports."""
    connections = [c for group in _groups(top) for c in group["connections"]]
    kinds = _components(top)
    start = next(i for i, (kind, name) in kinds.items() if kind == "PROCESSOR" and name == source)
    frontier = [
        c["destination"]["id"]
        for c in connections
        if c["source"]["id"] == start and relationship in c["selectedRelationships"]
    ]
    found = set()
    while frontier:
        node = frontier.pop()
        kind, name = kinds[node]
        if kind == "PROCESSOR":
            found.add(name)
        else:
            frontier += [c["destination"]["id"] for c in connections if c["source"]["id"] == node]
    return found


def test_the_top_group_holds_only_the_five_groups_and_the_queues_between_them(top: dict[str, Any]) -> None:
    assert top["processors"] == []
    assert {g["name"]: {p["name"] for p in g["processors"]} for g in top["processGroups"]} == GROUPS
    assert all(g["processGroups"] == [] for g in top["processGroups"])
    for connection in top["connections"]:
        assert connection["source"]["type"] == "OUTPUT_PORT" and connection["destination"]["type"] == "INPUT_PORT"


def test_each_group_says_what_it_does_and_uses_the_pipeline_parameters(top: dict[str, Any]) -> None:
    for group in _groups(top):
        assert len(group["comments"]) > 40, group["name"]
        assert group["parameterContextName"] == flow.PARAMETER_CONTEXT
        for port in group["inputPorts"] + group["outputPorts"]:
            assert port["comments"], f"{group['name']}.{port['name']}"


def test_every_queue_says_what_waits_in_it(top: dict[str, Any]) -> None:
    for group in _groups(top):
        names = [c["name"] for c in group["connections"]]
        assert all(names) and len(names) == len(set(names)), (group["name"], names)
        assert "retry" not in names and "success" not in names


@pytest.mark.parametrize(
    ("source", "relationship", "destination"),
    [
        ("Stamp ingest", "success", "DecodeAudio"),
        ("DecodeAudio", "success", "ClassifyAudio"),
        ("ClassifyAudio", "retry", "ClassifyAudio"),
        ("ClassifyAudio", "success", "FingerprintAudio"),
        ("FingerprintAudio", "success", "ScoreSpeechQuality"),
        ("ScoreSpeechQuality", "success", "TranscribeSpeech"),
        ("ScoreSpeechQuality", "no reference", "TranscribeSpeech"),
        ("TranscribeSpeech", "success", "Record result"),
        ("TranscribeSpeech", "not transcribed", "Record result"),
        ("Decode catalog track", "success", "RegisterCatalogTrack"),
        ("Record result", "success", "Result to JSON"),
    ]
    + [
        (stage, relationship, "Mark quarantined") for stage in ANALYSIS_STEPS for relationship in ("failure", "invalid")
    ],
)
def test_paths_through_the_ports(top: dict[str, Any], source: str, relationship: str, destination: str) -> None:
    assert _reached(top, source, relationship) == {destination}


def test_reason_codes_the_flow_writes_are_registered(top: dict[str, Any]) -> None:
    """The flow's own fallback (a processor that raised) names a code of errors.py, as processors do."""
    from audio_pipeline.attributes import ERROR
    from audio_pipeline.errors import REASON_CODES

    written = [
        processor["properties"][ERROR]
        for group in _groups(top)
        for processor in group["processors"]
        if ERROR in (processor.get("properties") or {})
    ]
    codes = {code for value in written for code in re.findall(r"replaceEmpty\('([a-z_]+)'\)", value)}
    assert codes and codes <= REASON_CODES.keys(), codes - REASON_CODES.keys()


def test_connection_ends_repeat_their_components_as_nifi_exports_them(top: dict[str, Any]) -> None:
    """NiFi copies a component's name and comments into every connection end that names it, so a
    comment edited in the file alone would not survive `./scripts/flow export`."""
    shown = {
        component["identifier"]: (component["name"], component["comments"])
        for group in _groups(top)
        for component in group["processors"] + group["inputPorts"] + group["outputPorts"]
    }
    for group in _groups(top):
        for connection in group["connections"]:
            for end in (connection["source"], connection["destination"]):
                assert (end["name"], end["comments"]) == shown[end["id"]], connection["name"]


def _seconds(period: str) -> float:
    number, unit = period.split()
    return float(number) * {"sec": 1, "secs": 1, "min": 60, "mins": 60}[unit]


@pytest.mark.parametrize("name", ANALYSIS_STEPS)
def test_failures_not_about_the_audio_are_retried_long_enough_to_outlast_a_python_restart(
    top: dict[str, Any], name: str
) -> None:
    """'failure' (not the audio's fault) is retried with backoff; 'invalid' (the audio's) is not."""
    (processor,) = [p for g in _groups(top) for p in g["processors"] if p["name"] == name]
    assert "failure" in processor["retriedRelationships"] and "invalid" not in processor["retriedRelationships"]
    assert processor["backoffMechanism"] == "PENALIZE_FLOWFILE"  # one file waits, the others flow
    base, cap = _seconds(processor["penaltyDuration"]), _seconds(processor["maxBackoffPeriod"])
    waits = [min(cap, base * 2**n) for n in range(processor["retryCount"])]  # NiFi's exponential backoff
    assert sum(waits) >= 2 * PYTHON_PROCESS_RESTART_BACKOFF_S, waits


def test_a_file_without_a_reason_is_quarantined_as_processor_unavailable(top: dict[str, Any]) -> None:
    """Only NiFi's Java side sends a file to failure without audio.error: the Python process did not answer."""
    from audio_pipeline.errors import PROCESSOR_UNAVAILABLE

    (mark,) = [p for g in _groups(top) for p in g["processors"] if p["name"] == "Mark quarantined"]
    assert mark["properties"]["audio.error"] == f"${{audio.error:replaceEmpty('{PROCESSOR_UNAVAILABLE}')}}"
