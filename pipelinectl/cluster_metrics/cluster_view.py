"""What the cluster says about its nodes: NiFi 2.3.0's GET /nifi-api/controller/cluster, read and fetched.

The answer is a ClusterEntity, `{"cluster": {"nodes": [NodeDTO, ...], "generated": ...}}`; a NodeDTO
has `nodeId`, `address` and `apiPort` (the node's web address), `status` (a NodeConnectionState
name), `roles` (ClusterRoles names) and, for nodes with a heartbeat, `flowFilesQueued` and
`bytesQueued`. Only a node connected to the cluster answers (it asks the coordinator); a
disconnected or standalone NiFi answers 409, a stopped one not at all, so every node is tried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

logger = logging.getLogger(__name__)

CLUSTER_PATH = "/nifi-api/controller/cluster"
CONNECTED = "CONNECTED"
# NodeConnectionState of NiFi 2.3.0, so that every state's count exists, 0 included.
STATES = ("CONNECTING", CONNECTED, "OFFLOADING", "DISCONNECTING", "OFFLOADED", "DISCONNECTED", "REMOVED")
PRIMARY_ROLE = "Primary Node"  # ClusterRoles.PRIMARY_NODE
COORDINATOR_ROLE = "Cluster Coordinator"  # ClusterRoles.CLUSTER_COORDINATOR
TIMEOUT_S = (2.0, 4.0)  # connect, read: two nodes fit in Prometheus's default 10 s scrape timeout


@dataclass(frozen=True)
class NodeStatus:
    node: str  # address:apiPort, the name Prometheus gives the node's own NiFi scrape target
    state: str
    primary: bool
    coordinator: bool
    flowfiles_queued: int | None = None  # None: no heartbeat (e.g. a disconnected node)
    bytes_queued: int | None = None

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED


def _optional_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def parse_cluster(document: dict[str, Any]) -> list[NodeStatus]:
    """The nodes of a ClusterEntity, in the order NiFi lists them (ValueError if it is not one)."""
    try:
        nodes = document["cluster"]["nodes"]
        found = []
        for node in nodes:
            roles = set(node.get("roles") or ())
            found.append(
                NodeStatus(
                    node=f"{node['address']}:{node['apiPort']}",
                    state=str(node["status"]),
                    primary=PRIMARY_ROLE in roles,
                    coordinator=COORDINATOR_ROLE in roles,
                    flowfiles_queued=_optional_int(node.get("flowFilesQueued")),
                    bytes_queued=_optional_int(node.get("bytesQueued")),
                )
            )
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a NiFi ClusterEntity: missing or malformed {error}") from error
    return found


def read_token(token_file: Path | None) -> str | None:
    """The bearer token in `token_file` (kept fresh by the token refresher), read at every call."""
    if token_file is None:
        return None
    try:
        return token_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


class ClusterView:
    """Asks the nodes at `base_urls`, in order, for the cluster's view of its nodes."""

    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        token_file: Path | None = None,
        verify: bool | str = True,
        timeout: tuple[float, float] = TIMEOUT_S,
    ) -> None:
        if not base_urls:
            raise ValueError("at least one node URL is needed")
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.token_file = token_file
        self.verify = verify
        self.timeout = timeout
        self._last_failure: str | None = None

    def fetch(self) -> list[NodeStatus] | None:
        """The first node's answer that parses, or None when no node answers (logged once per change)."""
        token = read_token(self.token_file)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        failures = []
        for url in self.base_urls:
            try:
                response = requests.get(url + CLUSTER_PATH, headers=headers, verify=self.verify, timeout=self.timeout)
                if response.status_code == 200:
                    nodes = parse_cluster(response.json())
                    self._note(None)
                    return nodes
                failures.append(f"{url}: HTTP {response.status_code}")
            except (requests.RequestException, ValueError) as error:
                failures.append(f"{url}: {type(error).__name__}")
        self._note("; ".join(failures))
        return None

    def _note(self, failure: str | None) -> None:
        """Log when the outcome changes, not at every scrape of a node that stays down."""
        if failure != self._last_failure:
            if failure:
                logger.warning("no node answered %s: %s", CLUSTER_PATH, failure)
            else:
                logger.info("a node answers %s again", CLUSTER_PATH)
        self._last_failure = failure
