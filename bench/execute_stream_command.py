"""The benchmark's NiFi 1.x-style flow: ListenHTTP → ExecuteStreamCommand (a Python script per file) → PutFile.

`nifi/flows/bench-execute-stream-command.json` is built by `build` below through the REST API on a
running NiFi and exported in the same normalised form as the pipeline's flow, so it can be rebuilt
rather than hand-edited:

    PYTHONPATH=.:nifi/python-processors .venv/bin/python -m bench.execute_stream_command build
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelinectl import flow
from pipelinectl.nifi import flow_file, groups
from pipelinectl.nifi.rest_client import CLIENT_ID, NiFiClient
from pipelinectl.settings import REPO_ROOT, load

FLOW_FILE = REPO_ROOT / "nifi" / "flows" / "bench-execute-stream-command.json"
WORKER_SCRIPT = Path(__file__).resolve().with_name("execute_stream_command_worker.py")
GROUP_NAME = "bench-execute-stream-command"
PARAMETER_CONTEXT = "bench-execute-stream-command"
RUN_PROCESSOR = "Run worker per file"
PARAMETERS = {  # name: description; every value is environment-specific (blank in the file)
    "ingest_http_port": "Port of this flow's ListenHTTP endpoint (POST /audio).",
    "results_dir": "Folder receiving the worker's JSON output per file.",
    "references_dir": "Folder of PESQ reference recordings.",
    "database_url": "Database of the steps that need one (fingerprint catalog, results table): sqlite:///path.",
    "python_command": "Python interpreter with the pipeline's libraries (the project venv).",
    "worker_script": "Path of bench/execute_stream_command_worker.py.",
}
SAFE_NAME = "${filename:replaceAll('[^A-Za-z0-9._-]', '_')}"  # no '/' left: PutFile stays in results_dir


def parameter_values(ingest_port: int, results_dir: Path, references_dir: Path, database_url: str) -> dict[str, str]:
    return {
        "ingest_http_port": str(ingest_port),
        "results_dir": str(results_dir),
        "references_dir": str(references_dir),
        "database_url": database_url,
        "python_command": sys.executable,
        "worker_script": str(WORKER_SCRIPT),
    }


# -- building the flow through the REST API ---------------------------------------------------------


def _bundle(nifi: NiFiClient, type_name: str) -> dict[str, str]:
    for candidate in nifi.get("/flow/processor-types")["processorTypes"]:
        if candidate["type"] == type_name:
            return candidate["bundle"]
    raise KeyError(f"processor type {type_name} not in this NiFi")


def _processor(
    nifi: NiFiClient,
    group_id: str,
    type_name: str,
    name: str,
    position: tuple[float, float],
    properties: dict[str, str],
    auto_terminated: tuple[str, ...] = (),
    tasks: int = 1,
    comments: str = "",
) -> dict[str, Any]:
    body = {
        "revision": {"version": 0, "clientId": CLIENT_ID},
        "component": {
            "type": type_name,
            "bundle": _bundle(nifi, type_name),
            "name": name,
            "position": {"x": position[0], "y": position[1]},
            "config": {
                "properties": properties,
                "autoTerminatedRelationships": list(auto_terminated),
                "concurrentlySchedulableTaskCount": tasks,
                "schedulingPeriod": "0 sec",
                "comments": comments,
            },
        },
    }
    return nifi.post(f"/process-groups/{group_id}/processors", body)


def _connect(
    nifi: NiFiClient, group_id: str, source: dict[str, Any], destination: dict[str, Any], relationships: list[str]
) -> None:
    def end(processor: dict[str, Any]) -> dict[str, str]:
        return {"id": processor["id"], "groupId": group_id, "type": "PROCESSOR"}

    body = {
        "revision": {"version": 0, "clientId": CLIENT_ID},
        "component": {
            "source": end(source),
            "destination": end(destination),
            "selectedRelationships": relationships,
            "backPressureObjectThreshold": 10000,
            "backPressureDataSizeThreshold": "1 GB",
        },
    }
    nifi.post(f"/process-groups/{group_id}/connections", body)


def build(nifi: NiFiClient, path: Path = FLOW_FILE) -> Path:
    """Create the group in NiFi, export it to `path`, and remove it again."""
    context = nifi.post(
        "/parameter-contexts",
        {
            "revision": {"version": 0, "clientId": CLIENT_ID},
            "component": {
                "name": PARAMETER_CONTEXT,
                "description": "Benchmark: the NiFi 1.x way (ExecuteStreamCommand running a Python script per file).",
                "parameters": [
                    {"parameter": {"name": k, "description": d, "sensitive": False, "value": ""}}
                    for k, d in PARAMETERS.items()
                ],
            },
        },
    )
    group = nifi.post(
        f"/process-groups/{nifi.root_id()}/process-groups",
        {
            "revision": {"version": 0, "clientId": CLIENT_ID},
            "component": {
                "name": GROUP_NAME,
                "position": {"x": 0, "y": 600},
                "parameterContext": {"id": context["id"]},
            },
        },
    )
    gid = group["id"]
    receive = _processor(
        nifi,
        gid,
        "org.apache.nifi.processors.standard.ListenHTTP",
        "Receive HTTP",
        (0, 0),
        {
            "Base Path": "audio",
            "Listening Port": "#{ingest_http_port}",
            "HTTP Headers to receive as Attributes (Regex)": "filename|reference",
        },
    )
    run = _processor(
        nifi,
        gid,
        "org.apache.nifi.processors.standard.ExecuteStreamCommand",
        RUN_PROCESSOR,
        (0, 200),
        {
            "Command Path": "#{python_command}",
            "Command Arguments": "#{worker_script};--references-dir;#{references_dir};--database-url;#{database_url};"
            "--filename;${filename};--reference;${reference}",
            "Argument Delimiter": ";",
        },
        auto_terminated=("original",),
        tasks=2,
        comments="Starts the worker script per FlowFile: audio on stdin, result JSON on stdout. "
        "The benchmark sets Concurrent Tasks to the pipeline's Python worker count.",
    )
    name_result = _processor(
        nifi,
        gid,
        "org.apache.nifi.processors.attributes.UpdateAttribute",
        "Name result file",
        (0, 400),
        {"filename": f"{SAFE_NAME}--${{uuid}}.json"},
    )
    name_failed = _processor(
        nifi,
        gid,
        "org.apache.nifi.processors.attributes.UpdateAttribute",
        "Name failed file",
        (400, 400),
        {"filename": f"{SAFE_NAME}--${{uuid}}.failed"},
    )
    write = _processor(
        nifi,
        gid,
        "org.apache.nifi.processors.standard.PutFile",
        "Write result",
        (0, 600),
        {
            "Directory": "#{results_dir}",
            "Conflict Resolution Strategy": "replace",
        },
        auto_terminated=("success",),
    )
    _connect(nifi, gid, receive, run, ["success"])
    _connect(nifi, gid, run, name_result, ["output stream"])
    _connect(nifi, gid, run, name_failed, ["nonzero status"])
    _connect(nifi, gid, name_result, write, ["success"])
    _connect(nifi, gid, name_failed, write, ["success"])
    _connect(nifi, gid, write, write, ["failure"])
    path.write_text(flow_file.dumps(flow_file.normalize(nifi.download_group(gid), PARAMETERS)))
    groups.remove(nifi, gid)
    groups.remove_parameter_context(nifi, PARAMETER_CONTEXT)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--file", type=Path, default=FLOW_FILE)
    args = parser.parse_args(argv)
    print(f"built {build(flow.client(load()), args.file)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
