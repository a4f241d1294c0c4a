"""The diff-friendly file form of a NiFi flow definition (RegisteredFlowSnapshot JSON), for any
versioned flow file: no instance ids, lists in a fixed order, environment-specific parameters blank,
sorted keys. What `./scripts/flow export` writes is what is committed; deploy fills the parameters."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any


def _strip_instance_ids(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("instanceIdentifier", None)
        node.pop("instanceGroupId", None)
        for value in node.values():
            _strip_instance_ids(value)
    elif isinstance(node, list):
        for value in node:
            _strip_instance_ids(value)


def _sort_component_lists(node: Any) -> None:
    """NiFi returns components in no fixed order; sort every list of identified components."""
    if isinstance(node, dict):
        for value in node.values():
            _sort_component_lists(value)
    elif isinstance(node, list):
        for value in node:
            _sort_component_lists(value)
        if node and all(isinstance(v, dict) and "identifier" in v for v in node):
            node.sort(key=lambda v: (v.get("name") or "", v["identifier"]))
        elif node and all(isinstance(v, dict) and "name" in v and "sensitive" in v for v in node):
            node.sort(key=lambda v: v["name"])  # parameters
        elif node and all(isinstance(v, str) for v in node):
            node.sort()


def normalize(snapshot: dict[str, Any], blank: Iterable[str]) -> dict[str, Any]:
    """A stable, environment-neutral form of a downloaded flow definition: no instance ids, lists in a
    fixed order, and the environment-specific parameters `blank` emptied (deploy fills them in)."""
    names = set(blank)
    result = copy.deepcopy(snapshot)
    _strip_instance_ids(result)
    result.pop("latest", None)
    for context in result.get("parameterContexts", {}).values():
        for parameter in context.get("parameters", []):
            if parameter["name"] in names:
                parameter["value"] = ""
    _sort_component_lists(result)
    return result


def with_group_identifier(snapshot: dict[str, Any], identifier: str) -> dict[str, Any]:
    """A copy of `snapshot` whose top group is `identifier` again, in its components' references too.

    NiFi gives an uploaded group a new identifier, so without this every deploy would change that
    identifier, and every component's `groupIdentifier`, in the next export of an unchanged flow.
    """
    old = snapshot["flowContents"]["identifier"]

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: swap(value) for key, value in node.items()}
        if isinstance(node, list):
            return [swap(value) for value in node]
        return identifier if node == old else node

    return swap(snapshot)


def dumps(snapshot: dict[str, Any]) -> str:
    """The text of a flow file: sorted keys and two-space indent, so that edits diff line by line."""
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def fill_parameters(snapshot: dict[str, Any], context: str, values: dict[str, str]) -> dict[str, Any]:
    """A copy of `snapshot` with the named parameter context's values set from `values`."""
    result = copy.deepcopy(snapshot)
    for parameter in result["parameterContexts"][context]["parameters"]:
        if parameter["name"] in values:
            parameter["value"] = values[parameter["name"]]
    return result
