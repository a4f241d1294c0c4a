"""Every NiFi of a data dir at once: the standalone NiFi, or all nodes of a cluster on this machine.

Starting checks every node's ports before launching any, waits for each REST API, and in a
cluster until every node is connected (`GET /nifi-api/flow/cluster/summary`); a node that exits
or never joins is named with the cause from its log, and everything started is stopped again.
"""

from __future__ import annotations

import dataclasses
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from pipelinectl import cluster
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.process_supervision import pid_path
from pipelinectl.settings import Settings

CONNECT_TIMEOUT_S = 600.0
LOG_CAUSE_LINES = 3
_CAUSE_CHARS = 400
_ERROR_LINE = re.compile(r"\b(ERROR|FATAL)\b")
_KEY_FILE = "state/nifi-sensitive-props.key"
# Root causes whose Java wording does not say what to do: (text in the cause, what it means here).
_HINTS = (
    (
        "AEADBadTagException",
        f"meaning: the sensitive-properties key ({_KEY_FILE}) does not decrypt the flow this NiFi saved "
        "(conf/flow.json.gz): was state/ replaced or restored from another installation? Put the key the "
        "flow was saved with back, or delete the node's conf/flow.json.gz to start from the versioned flow.",
    ),
    (
        "Key Password length less than required",
        f"meaning: the sensitive-properties key in {_KEY_FILE} is shorter than the 12 characters NiFi needs.",
    ),
)


class NodeStartError(RuntimeError):
    """A NiFi could not start or join; the message names the node and the cause."""


def running_nodes(settings: Settings) -> list[Settings]:
    """The nodes of `settings` plus any other node of this data dir that has a pid file (a cluster
    started with more nodes than the settings now say), so that stopping leaves none behind."""
    known = cluster.nodes(settings)
    names = {node.nifi_name for node in known}
    base = settings if settings.clustered else _with_nodes(settings, 1)
    for path in sorted(pid_path(settings, "x").parent.glob("nifi-node*.pid")):
        index = path.stem.removeprefix("nifi-node")
        if index.isdigit() and f"nifi-node{index}" not in names:
            widened = _with_nodes(base, max(int(index), base.cluster_nodes, 2))
            known.append(cluster.node(widened, int(index)))
    return known


def _with_nodes(settings: Settings, count: int) -> Settings:
    return dataclasses.replace(settings, cluster_nodes=count)


def last_errors(node: Settings, lines: int = LOG_CAUSE_LINES) -> str:
    """The last ERROR lines of a node's log and the innermost cause of the last stack trace in it
    (its last "Caused by:" line): what to show when it does not come up. The ERROR lines alone are
    often NiFi's summary ("Failed to start Server"); the cause says why (a key that cannot decrypt
    the flow, a port in use)."""
    try:
        text = nifi_instance.app_log(node).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log yet)"
    log_lines = text.splitlines()
    found = [line.strip() for line in log_lines if _ERROR_LINE.search(line)][-lines:]
    causes = [line.strip() for line in log_lines if line.lstrip().startswith("Caused by:")]
    if causes:
        cause = causes[-1][len("Caused by:") :].strip()
        found.append(f"root cause: {cause[:_CAUSE_CHARS]}")
        found += [hint for marker, hint in _HINTS if marker in cause]
    return "\n    ".join(found) or "(no error in its log)"


def check_ports(settings: Settings) -> None:
    """Fail before launching anything if a port of a node that is not running yet is taken."""
    for node in cluster.nodes(settings):
        if not nifi_instance.is_running(node):
            try:
                nifi_instance.check_ports(node)
            except RuntimeError as error:
                raise NodeStartError(str(error)) from error


def start(settings: Settings) -> list[Settings]:
    """Start every NiFi of `settings` that is not running and wait until all are up and, in a
    cluster, connected; return the nodes. On failure, stop the ones this call started."""
    check_ports(settings)
    nodes = cluster.nodes(settings)
    started = []
    try:
        for node in nodes:
            if not nifi_instance.is_running(node):
                nifi_instance.start(node)
                started.append(node)
        for node in nodes:
            try:
                nifi_instance.wait_until_up(node)
            except (RuntimeError, TimeoutError) as error:
                raise NodeStartError(f"{error}\n  its last errors:\n    {last_errors(node)}") from error
        if settings.clustered:
            wait_connected(settings)
    except BaseException:
        stop(started)
        raise
    return nodes


def cluster_summary(settings: Settings) -> dict[str, Any] | None:
    """`GET /flow/cluster/summary` of node 1, or None while it does not answer (no coordinator yet)."""
    try:
        response = requests.get(f"{nifi_instance.base_url(settings)}/nifi-api/flow/cluster/summary", timeout=10)
    except requests.RequestException:
        return None
    return response.json()["clusterSummary"] if response.status_code == 200 else None


def connected_node_addresses(settings: Settings) -> set[str]:
    """The API addresses (host:port) of the nodes the cluster reports CONNECTED."""
    try:
        response = requests.get(f"{nifi_instance.base_url(settings)}/nifi-api/controller/cluster", timeout=10)
    except requests.RequestException:
        return set()
    if response.status_code != 200:
        return set()
    return {
        f"{node['address']}:{node['apiPort']}"
        for node in response.json()["cluster"]["nodes"]
        if node["status"] == "CONNECTED"
    }


def wait_connected(settings: Settings, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Block until the cluster reports every node connected; name the nodes that are not."""
    nodes = cluster.nodes(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for node in nodes:
            if not nifi_instance.is_running(node):
                raise NodeStartError(
                    f"{nifi_instance.describe(node)} exited before joining the cluster; its last errors:\n    "
                    f"{last_errors(node)}"
                )
        summary = cluster_summary(settings)
        if summary and summary["connectedNodeCount"] == summary["totalNodeCount"] == len(nodes):
            return
        time.sleep(2.0)
    connected = connected_node_addresses(settings)
    missing = [node for node in nodes if f"127.0.0.1:{node.nifi_http_port}" not in connected]
    details = "\n".join(f"  {nifi_instance.describe(node)}:\n    {last_errors(node)}" for node in missing or nodes)
    raise NodeStartError(
        f"the cluster did not connect all {len(nodes)} nodes within {timeout:.0f} s "
        f"(is ZooKeeper on {cluster.zookeeper_connect_string(settings)} up?); not connected:\n{details}"
    )


def stop(nodes: list[Settings], timeout: float = 90.0) -> list[Settings]:
    """Stop the given NiFis gracefully, all at once (each may take its shutdown hook's time); return
    the ones that were running."""
    if not nodes:
        return []
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        stopped = list(pool.map(lambda node: nifi_instance.stop(node, timeout=timeout), nodes))
    return [node for node, was in zip(nodes, stopped, strict=True) if was]
