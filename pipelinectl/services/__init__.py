"""The background services beside NiFi that scripts/run starts and scripts/stop stops, as one list.

NiFi itself is not among them: it is started before the flow is deployed and stopped gracefully
(pipelinectl.nifi.instance), with the same pid-file helpers.
"""

from __future__ import annotations

from pipelinectl.services import model_server, nifi_token, prometheus
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings


def for_settings(settings: Settings, *, any_profile: bool = False) -> list[Service]:
    """The services of `settings`, in start order (stopped in reverse); services marked `after_flow`
    start once NiFi runs the flow and stop before NiFi does.

    `any_profile`: also those of the other profile, to stop whatever a run in either profile started
    for this data dir (the token refresher of a secure run, stopped without NIFI_PROFILE set).
    """
    found = [model_server.service(settings), *prometheus.services(settings)]
    if settings.profile == "secure" or any_profile:
        found.append(nifi_token.refresher(settings))
    return found


def named(settings: Settings, name: str) -> Service:
    for service in for_settings(settings):
        if service.name == name:
            return service
    raise KeyError(f"no service {name!r} in the {settings.profile} profile")
