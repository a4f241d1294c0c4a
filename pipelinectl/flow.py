"""Deploy the versioned flow (nifi/flows/audio-pipeline.json) to NiFi and export UI edits back.

The file is a NiFi flow definition (RegisteredFlowSnapshot JSON) in a diff-friendly form: keys
sorted, two-space indent, lists in a stable order, no instance ids, and the environment-specific
parameters left empty; deploy fills them from the pipeline settings.

    ./scripts/flow deploy   replace the running group with the file's version, then start it
    ./scripts/flow export   write the group as edited in the NiFi UI back to the file
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelinectl import results_database
from pipelinectl.nifi import flow_file, groups
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import security as nifi_security
from pipelinectl.nifi.rest_client import NiFiApiError, NiFiClient, access_token
from pipelinectl.nifi.sent_secrets import SentSecrets
from pipelinectl.settings import REPO_ROOT, Settings, load

FLOW_FILE = REPO_ROOT / "nifi" / "flows" / "audio-pipeline.json"
GROUP_NAME = "audio-pipeline"
PARAMETER_CONTEXT = "audio-pipeline"
# Answers of a cluster right after a deploy, while a node has not loaded a Python processor yet (NiFi
# 2.3.0 fails to merge the nodes' views with a 500) or is still connecting (409): retried, not fatal.
CLUSTER_SETTLING = frozenset({409, 500})
LOAD_FAILURE_GRACE_S = 90.0  # how long a processor may stay broken (not merely installing) before we give up


def parameter_values(settings: Settings) -> dict[str, str]:
    """The environment-specific parameters; everything else in the flow is environment-neutral."""
    database_url, database_password = results_database.location(settings)
    return {
        "inbox_dir": str(settings.inbox_dir),
        "results_dir": str(settings.results_dir),
        "quarantine_dir": str(settings.quarantine_dir),
        "references_dir": str(settings.references_dir),
        "catalog_dir": str(settings.catalog_dir),
        "serving_grpc_address": settings.serving_grpc_address,
        "transcription_models_dir": str(settings.transcription_models_dir),
        "results_database_url": database_url,
        "results_database_password": database_password,  # sensitive: NiFi never shows or exports it
    }


MANAGED_PARAMETERS = frozenset(parameter_values(load({})).keys())


def normalize(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The file form of a downloaded pipeline flow (the parameters deploy fills in left empty)."""
    return flow_file.normalize(snapshot, MANAGED_PARAMETERS)


def read_flow(path: Path = FLOW_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


# -- talking to NiFi -------------------------------------------------------------------------


def client(settings: Settings) -> NiFiClient:
    if settings.nifi_url:  # a NiFi we did not start: log in with the given credentials if any
        token = None
        if settings.nifi_username:
            token = access_token(
                settings.nifi_url, settings.nifi_username, settings.nifi_password, verify=settings.nifi_tls_verify
            )
        return NiFiClient(settings.nifi_url, verify=settings.nifi_tls_verify, token=token)
    base = nifi_instance.base_url(settings)
    token = nifi_security.login(base, settings) if settings.profile == "secure" else None
    return NiFiClient(base, verify=nifi_instance.tls_verify(settings), token=token)


def deploy(settings: Settings, *, replace: bool = True, path: Path = FLOW_FILE) -> str:
    """Put the file's flow into NiFi (upload, or replace when present and `replace`); return group id."""
    return groups.deploy(
        client(settings),
        read_flow(path),
        GROUP_NAME,
        PARAMETER_CONTEXT,
        parameter_values(settings),
        replace=replace,
        sent=SentSecrets(settings.state_dir / "nifi-sent-secrets.json"),
    )


def start(settings: Settings, group_id: str, timeout: float = 900.0) -> None:
    """Enable services, start every processor, and wait until all run and are valid.

    A Python processor stays 'validating' while NiFi creates its environment and pip-installs its
    dependencies on first use, so the wait covers that too.
    """
    nifi = client(settings)
    _settling(nifi.set_group_state, group_id, "ENABLED")
    _settling(_tolerating_conflicts, nifi.set_group_state, group_id, "RUNNING")  # starts every processor valid now
    deadline = time.monotonic() + timeout
    broken_since: float | None = None
    while True:
        pending, broken = [], []
        try:
            processors = nifi.processors(group_id)
        except NiFiApiError as error:
            if error.status not in CLUSTER_SETTLING or time.monotonic() > deadline:
                raise
            time.sleep(2.0)
            continue
        for processor in processors:
            component = processor["component"]
            if component["state"] == "RUNNING" and component.get("validationStatus") == "VALID":
                continue
            if component["state"] == "STOPPED" and component.get("validationStatus") == "VALID":
                _tolerating_conflicts(nifi.start_processor, processor)  # became valid once its venv was ready
            errors = "; ".join(component.get("validationErrors") or [])
            java_invalid = "." in component["type"] and component.get("validationStatus") == "INVALID"
            if java_invalid or "Failed to parse or load" in errors:
                broken.append(component["name"])
            pending.append(f"{component['name']} ({component['state']}, {component.get('validationStatus')}: {errors})")
        if not pending:
            return
        broken_since = (broken_since or time.monotonic()) if broken else None
        if broken_since is not None and time.monotonic() - broken_since > LOAD_FAILURE_GRACE_S:
            raise RuntimeError(f"processors stay invalid: {'; '.join(pending)} (see logs/nifi/nifi-app.log)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow not running after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(2.0)


def _settling(call: Callable[..., Any], *args: Any, timeout: float = 300.0) -> Any:
    """Call and return its answer, retrying the answers of a cluster whose nodes have not all loaded
    the flow yet (a node just reconnected answers a replicated request with 500 for a while)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call(*args)
        except NiFiApiError as error:
            if error.status not in CLUSTER_SETTLING or time.monotonic() > deadline:
                raise
        time.sleep(2.0)


def _tolerating_conflicts(call: Callable[..., Any], *args: Any) -> None:
    """409 Conflict: a component is STARTING already (e.g. NiFi resuming the flow after a restart)."""
    try:
        call(*args)
    except NiFiApiError as error:
        if error.status != 409:
            raise


def is_running(settings: Settings) -> bool:
    nifi = client(settings)
    group = _settling(nifi.child_group, GROUP_NAME)
    if group is None:
        return False
    return all(
        p["component"]["state"] == "RUNNING" and p["component"].get("validationStatus") == "VALID"
        for p in _settling(nifi.processors, group["id"])
    )


def export(settings: Settings, path: Path = FLOW_FILE) -> Path:
    """Write the running group, as edited in the UI, to `path` in the file form (keeping the group
    identifier of the file it replaces, so that an unchanged flow exports to an unchanged file)."""
    nifi = client(settings)
    group = nifi.child_group(GROUP_NAME)
    if group is None:
        raise SystemExit(f"no process group named {GROUP_NAME!r} in NiFi at {nifi.api}")
    snapshot = normalize(nifi.download_group(group["id"]))
    if path.exists():
        snapshot = flow_file.with_group_identifier(snapshot, read_flow(path)["flowContents"]["identifier"])
    path.write_text(flow_file.dumps(snapshot))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/flow", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["deploy", "export"])
    parser.add_argument("--file", type=Path, default=FLOW_FILE)
    args = parser.parse_args(argv)
    settings = load()
    if args.command == "export":
        print(f"exported to {export(settings, args.file)}")
    else:
        group_id = deploy(settings, replace=True, path=args.file)
        start(settings, group_id)
        print(f"deployed {args.file} and started group {group_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
