"""The background services beside NiFi that scripts/run starts and scripts/stop stops, as one list.

NiFi itself is not among them: its nodes are started before the flow is deployed and stopped
gracefully (pipelinectl.nifi.nodes), with the same pid-file helpers.
"""

from __future__ import annotations

from pipelinectl import results_database
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings


def for_settings(settings: Settings, *, any_profile: bool = False) -> list[Service]:
    """The services of `settings`, in start order (stopped in reverse); services marked `after_flow`
    start once NiFi runs the flow and stop before NiFi does.

    A cluster adds ZooKeeper, the results database (unless RESULTS_DATABASE_URL names one), the
    ingest balancer and the cluster exporter. `any_profile`: also the services of the other profile
    and mode, to stop whatever any earlier run started for this data dir (a cluster's ZooKeeper or
    a secure run's token refresher, stopped without NIFI_CLUSTER_NODES or NIFI_PROFILE set).
    """
    # Imported here: each service module imports this package's supervisor.
    from pipelinectl.services import (
        cluster_exporter,
        ingest_balancer,
        model_server,
        nifi_token,
        postgres,
        prometheus,
        zookeeper,
    )

    clustered = settings.clustered or any_profile
    found = [model_server.service(settings)]
    if clustered:
        found.append(zookeeper.service(settings))
    if results_database.uses_started_postgres(settings) or any_profile:
        found.append(postgres.service(settings))
    found += prometheus.services(settings)
    if clustered:
        found += [ingest_balancer.service(settings), cluster_exporter.service(settings)]
    if settings.profile == "secure" or any_profile:
        found.append(nifi_token.refresher(settings))
    return found


def named(settings: Settings, name: str) -> Service:
    for service in for_settings(settings):
        if service.name == name:
            return service
    raise KeyError(f"no service {name!r} in the {settings.profile} profile")
