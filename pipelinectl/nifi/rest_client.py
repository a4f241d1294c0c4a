"""A small client for the NiFi REST API calls the project makes (requests, not nipyapi:
the handful of endpoints we need are stable, and nipyapi's releases target other NiFi versions)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from typing import Any

import requests

CLIENT_ID = str(uuid.uuid4())
UNAVAILABLE_RETRY_S = 60.0  # how long a 503 (or, for GET, a refused connection) is retried


def access_token(base_url: str, username: str, password: str, *, verify: bool | str = True) -> str:
    """Log in (`POST /nifi-api/access/token`) and return the bearer token for the REST API."""
    response = requests.post(
        f"{base_url.rstrip('/')}/nifi-api/access/token",
        verify=verify,
        data={"username": username, "password": password},
        timeout=30,
    )
    response.raise_for_status()
    return response.text.strip()


class NiFiApiError(RuntimeError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NiFiClient:
    def __init__(self, base_url: str, *, verify: bool | str = True, token: str | None = None) -> None:
        self.api = base_url.rstrip("/") + "/nifi-api"
        self.session = requests.Session()
        self.verify = verify  # per request: requests lets REQUESTS_CA_BUNDLE override Session.verify
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- plumbing -------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST call; 503 (NiFi still initialising, or briefly overloaded) is retried for a while.

        503 means the request was not carried out, so retrying is safe for every method; a refused
        connection is retried for GET only.
        """
        kwargs.setdefault("verify", self.verify)
        timeout = kwargs.pop("timeout", 60)
        deadline = time.monotonic() + UNAVAILABLE_RETRY_S
        while True:
            try:
                response = self.session.request(method, self.api + path, timeout=timeout, **kwargs)
            except requests.ConnectionError:
                if method != "GET" or time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
                continue
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        if response.status_code >= 400:
            raise NiFiApiError(
                f"{method} {path} -> {response.status_code}: {response.text[:500]}", response.status_code
            )
        if not response.content:
            return None
        if "json" in response.headers.get("Content-Type", ""):
            return response.json()
        return response.text

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PUT", path, json=body)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body)

    # -- process groups -------------------------------------------------------------------
    def root_id(self) -> str:
        return self.get("/flow/process-groups/root")["processGroupFlow"]["id"]

    def child_group(self, name: str) -> dict[str, Any] | None:
        flow = self.get("/flow/process-groups/root")["processGroupFlow"]["flow"]
        for group in flow["processGroups"]:
            if group["component"]["name"] == name:
                return group
        return None

    def upload_group(self, parent_id: str, name: str, snapshot_json: str) -> dict[str, Any]:
        files = {"file": ("flow.json", snapshot_json, "application/json")}
        data = {
            "groupName": name,
            "positionX": "0",
            "positionY": "0",
            "clientId": CLIENT_ID,
            "disconnectedNodeAcknowledged": "false",
        }
        return self.request("POST", f"/process-groups/{parent_id}/process-groups/upload", files=files, data=data)

    def replace_group(self, group_id: str, snapshot: dict[str, Any], timeout: float = 300.0) -> None:
        """Replace a group's contents with a flow snapshot (NiFi's asynchronous replace request)."""
        group = self.get(f"/process-groups/{group_id}")
        body = {
            "processGroupRevision": group["revision"] | {"clientId": CLIENT_ID},
            "versionedFlowSnapshot": snapshot,
        }
        request = self.post(f"/process-groups/{group_id}/replace-requests", body)["request"]
        self._await_request(f"/process-groups/replace-requests/{request['requestId']}", timeout)

    def download_group(self, group_id: str) -> dict[str, Any]:
        return self.get(f"/process-groups/{group_id}/download", params={"includeReferencedServices": "true"})

    def set_group_state(self, group_id: str, state: str) -> None:
        """state: RUNNING or STOPPED (processors) / ENABLED or DISABLED (controller services)."""
        if state in ("ENABLED", "DISABLED"):
            self.put(f"/flow/process-groups/{group_id}/controller-services", {"id": group_id, "state": state})
        else:
            self.put(f"/flow/process-groups/{group_id}", {"id": group_id, "state": state})

    def processors(self, group_id: str) -> list[dict[str, Any]]:
        return self.get(f"/process-groups/{group_id}/processors", params={"includeDescendantGroups": "true"})[
            "processors"
        ]

    def start_processor(self, processor: dict[str, Any]) -> None:
        body = {"revision": processor["revision"] | {"clientId": CLIENT_ID}, "state": "RUNNING"}
        self.put(f"/processors/{processor['id']}/run-status", body)

    def group_status(self, group_id: str) -> dict[str, Any]:
        return self.get(f"/flow/process-groups/{group_id}/status")["processGroupStatus"]

    # -- parameter contexts ---------------------------------------------------------------
    def parameter_context(self, name: str) -> dict[str, Any] | None:
        for context in self.get("/flow/parameter-contexts")["parameterContexts"]:
            if context["component"]["name"] == name:
                return self.get(f"/parameter-contexts/{context['id']}")
        return None

    def update_parameters(
        self, name: str, values: dict[str, str], timeout: float = 300.0, *, sensitive: Collection[str] = ()
    ) -> bool:
        """Set parameter values (stopping and restarting what references them); True if anything changed.

        The `sensitive` ones are sent as sensitive parameters, and always: NiFi never returns their
        values, so whether they changed cannot be told.
        """
        context = self.parameter_context(name)
        if context is None:
            raise NiFiApiError(f"parameter context {name!r} not found", 404)
        current = {p["parameter"]["name"]: p["parameter"].get("value") for p in context["component"]["parameters"]}
        changed = [
            {"parameter": {"name": k, "value": v, "sensitive": k in sensitive}}
            for k, v in values.items()
            if k in sensitive or current.get(k) != v
        ]
        if not changed:
            return False
        body = {
            "revision": context["revision"] | {"clientId": CLIENT_ID},
            "id": context["id"],
            "component": {"id": context["id"], "parameters": changed},
        }
        request = self.post(f"/parameter-contexts/{context['id']}/update-requests", body)["request"]
        self._await_request(f"/parameter-contexts/{context['id']}/update-requests/{request['requestId']}", timeout)
        return True

    def _await_request(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            while True:
                request = self.get(path)["request"]
                if request.get("failureReason"):
                    raise NiFiApiError(f"{path}: {request['failureReason']}", 500)
                if request.get("complete"):
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} not complete after {timeout:.0f} s")
                time.sleep(0.5)
        finally:
            try:
                self.request("DELETE", path)
            except NiFiApiError:
                pass
