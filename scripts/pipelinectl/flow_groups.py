"""Generic process-group helpers over the REST client: deploy any versioned flow file into a named group
with its own parameter context, remove a group again, tune processors. flow.py keeps the pipeline's
own deploy; this is for further groups (the benchmark's ExecuteStreamCommand flow)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelinectl import flow
from pipelinectl.nifi_api import CLIENT_ID, NiFiApiError, NiFiClient

PYTHON_BUNDLE_ARTIFACT = "python-extensions"


def fill_parameters(snapshot: dict[str, Any], context: str, values: dict[str, str]) -> dict[str, Any]:
    """A copy of `snapshot` with the named parameter context's values set from `values`."""
    result = copy.deepcopy(snapshot)
    for parameter in result["parameterContexts"][context]["parameters"]:
        if parameter["name"] in values:
            parameter["value"] = values[parameter["name"]]
    return result


def export_form(snapshot: dict[str, Any], blank: Iterable[str]) -> str:
    """The file form (flow.normalize + flow.dumps) with the environment-specific parameters `blank` emptied."""
    names = set(blank)
    result = flow.normalize(snapshot)
    for context in result.get("parameterContexts", {}).values():
        for parameter in context.get("parameters", []):
            if parameter["name"] in names:
                parameter["value"] = ""
    return flow.dumps(result)


def deploy(nifi: NiFiClient, path: Path, group: str, context: str, values: dict[str, str]) -> str:
    """Upload the flow file as group `group` under root (replacing one of that name); return its id."""
    snapshot = fill_parameters(json.loads(path.read_text()), context, values)
    existing = nifi.child_group(group)
    if existing is None:
        group_id = nifi.upload_group(nifi.root_id(), group, json.dumps(snapshot))["id"]
    else:
        group_id = existing["id"]
        stop(nifi, group_id)
        nifi.replace_group(group_id, snapshot)
    nifi.update_parameters(context, values)  # an existing context of that name is reused, not renamed
    return group_id


def stop(nifi: NiFiClient, group_id: str, timeout: float = 120.0) -> None:
    """Stop every processor and wait until none has a thread running any more."""
    nifi.set_group_state(group_id, "STOPPED")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if nifi.group_status(group_id)["aggregateSnapshot"].get("activeThreadCount", 0) == 0:
            break
        time.sleep(0.5)
    nifi.set_group_state(group_id, "DISABLED")


def remove(nifi: NiFiClient, group_id: str, timeout: float = 120.0) -> None:
    """Stop the group, drop what is queued in it, and delete it."""
    stop(nifi, group_id, timeout)
    request = nifi.post(f"/process-groups/{group_id}/empty-all-connections-requests", {})["dropRequest"]
    deadline = time.monotonic() + timeout
    path = f"/process-groups/{group_id}/empty-all-connections-requests/{request['id']}"
    try:
        while not nifi.get(path)["dropRequest"].get("finished") and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        nifi.request("DELETE", path)
    revision = nifi.get(f"/process-groups/{group_id}")["revision"]
    nifi.request("DELETE", f"/process-groups/{group_id}",
                 params={"version": revision["version"], "clientId": CLIENT_ID})


def remove_parameter_context(nifi: NiFiClient, name: str) -> bool:
    """Delete a parameter context no group uses any more; False if there is none of that name."""
    context = nifi.parameter_context(name)
    if context is None:
        return False
    try:
        nifi.request("DELETE", f"/parameter-contexts/{context['id']}",
                     params={"version": context["revision"]["version"], "clientId": CLIENT_ID})
    except NiFiApiError as error:
        if error.status != 409:  # still referenced: leave it
            raise
        return False
    return True


def processor_named(nifi: NiFiClient, group_id: str, name: str) -> dict[str, Any]:
    for processor in nifi.processors(group_id):
        if processor["component"]["name"] == name:
            return processor
    raise KeyError(f"no processor named {name!r} in group {group_id}")


def set_concurrent_tasks(nifi: NiFiClient, processor: dict[str, Any], tasks: int) -> None:
    """Concurrent tasks of a (stopped) processor."""
    body = {
        "revision": processor["revision"] | {"clientId": CLIENT_ID},
        "component": {"id": processor["id"], "config": {"concurrentlySchedulableTaskCount": tasks}},
    }
    nifi.put(f"/processors/{processor['id']}", body)


def python_processors(nifi: NiFiClient, group_id: str) -> list[dict[str, Any]]:
    """The group's NiFi Python processors (each gets its own Python process)."""
    return [
        p for p in nifi.processors(group_id)
        if p["component"].get("bundle", {}).get("artifact") == PYTHON_BUNDLE_ARTIFACT
    ]
