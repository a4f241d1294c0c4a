"""Process groups in a running NiFi, over the REST client: deploy a flow definition into a named group
with its own parameter context, stop, remove, and look up and tune its processors. flow.py applies
them to the pipeline's own flow; the benchmark to its ExecuteStreamCommand flow."""

from __future__ import annotations

import json
import time
from typing import Any

from pipelinectl.nifi.flow_file import fill_parameters
from pipelinectl.nifi.rest_client import CLIENT_ID, NiFiApiError, NiFiClient
from pipelinectl.nifi.sent_secrets import SentSecrets

PYTHON_BUNDLE_ARTIFACT = "python-extensions"


def deploy(
    nifi: NiFiClient,
    snapshot: dict[str, Any],
    group: str,
    context: str,
    values: dict[str, str],
    *,
    replace: bool = True,
    sent: SentSecrets | None = None,
) -> str:
    """Put the flow `snapshot` into NiFi as group `group` under root, its parameter context `context`
    filled from `values`: uploaded when absent, else stopped and replaced (unless not `replace`).
    Returns the group's id.

    Sensitive values go to NiFi whenever the group was just uploaded or stopped; into a group left
    running (a restart, where NiFi resumes the flow and refuses to update a parameter that a still
    starting processor references), only those `sent` says changed or NiFi says it lacks.
    """
    filled = fill_parameters(snapshot, context, values)
    existing = nifi.child_group(group)
    if existing is None:
        group_id = nifi.upload_group(nifi.root_id(), group, json.dumps(filled))["id"]
    else:
        group_id = existing["id"]
        if replace:
            stop(nifi, group_id)
            nifi.replace_group(group_id, filled)
    names = {p["name"] for p in snapshot["parameterContexts"][context]["parameters"] if p.get("sensitive")}
    secret = {k: v for k, v in values.items() if k in names}
    held = nifi.parameter_context(context) if sent is not None else None
    to_send = values
    if sent is not None and held is not None and existing is not None and not replace:
        resend = _secrets_to_resend(held, secret, sent)
        to_send = {k: v for k, v in values.items() if k not in secret or k in resend}
    # an existing context of that name is reused, not renamed
    nifi.update_parameters(context, to_send, sensitive=names)
    if sent is not None and held is not None:
        sent.record(held["id"], {k: v for k, v in secret.items() if k in to_send})
    return group_id


def _secrets_to_resend(held: dict[str, Any], secret: dict[str, str], sent: SentSecrets) -> set[str]:
    """The sensitive values a running group's context `held` needs: changed since last sent, or set
    here and missing in NiFi."""
    missing = {p["parameter"]["name"] for p in held["component"]["parameters"] if p["parameter"].get("value") is None}
    return set(sent.changed(held["id"], secret)) | {name for name in missing if secret.get(name)}


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
    nifi.request(
        "DELETE", f"/process-groups/{group_id}", params={"version": revision["version"], "clientId": CLIENT_ID}
    )


def remove_parameter_context(nifi: NiFiClient, name: str) -> bool:
    """Delete a parameter context no group uses any more; False if there is none of that name."""
    context = nifi.parameter_context(name)
    if context is None:
        return False
    try:
        nifi.request(
            "DELETE",
            f"/parameter-contexts/{context['id']}",
            params={"version": context["revision"]["version"], "clientId": CLIENT_ID},
        )
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


def set_properties(
    nifi: NiFiClient, group_id: str, name: str, properties: dict[str, str], timeout: float = 120.0
) -> None:
    """Change properties of the running processor `name`: stop it, wait for its threads, update, start it."""
    processor = processor_named(nifi, group_id, name)
    body = {"revision": processor["revision"] | {"clientId": CLIENT_ID}, "state": "STOPPED"}
    nifi.put(f"/processors/{processor['id']}/run-status", body)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processor = processor_named(nifi, group_id, name)
        if processor["status"]["aggregateSnapshot"].get("activeThreadCount", 0) == 0:
            break
        time.sleep(0.5)
    body = {
        "revision": processor["revision"] | {"clientId": CLIENT_ID},
        "component": {"id": processor["id"], "config": {"properties": properties}},
    }
    nifi.put(f"/processors/{processor['id']}", body)
    nifi.start_processor(processor_named(nifi, group_id, name))


def python_processors(nifi: NiFiClient, group_id: str) -> list[dict[str, Any]]:
    """The group's NiFi Python processors (each gets its own Python process)."""
    return [
        p
        for p in nifi.processors(group_id)
        if p["component"].get("bundle", {}).get("artifact") == PYTHON_BUNDLE_ARTIFACT
    ]
