"""./scripts/run: set up, start NiFi, deploy and start the flow, print the entry points.

Idempotent: with everything already up it deploys nothing, restarts nothing, and prints the same.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import requests

from pipelinectl import cluster, flow, results_database, services, setup, stop
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.nifi import nodes
from pipelinectl.nifi import security as nifi_security
from pipelinectl.nifi.rest_client import NiFiApiError
from pipelinectl.services import model_server, postgres
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings, load

DEPLOY_ATTEMPTS = 3
RESTART_STOP_TIMEOUT_S = 30.0  # a NiFi stuck in start-up may not finish its shutdown hook


def entry_points(settings: Settings) -> list[tuple[str, str]]:
    if settings.clustered:
        interfaces = [
            (f"NiFi UI, node {node.node}", f"{nifi_instance.base_url(node)}/nifi/") for node in cluster.nodes(settings)
        ]
    else:
        interfaces = [("NiFi UI", f"{nifi_instance.base_url(settings)}/nifi/")]
    return [
        *interfaces,
        *(
            [("NiFi login", f"credentials in {nifi_security.credentials_file(settings)}")]
            if settings.profile == "secure"
            else []
        ),
        (
            "HTTP ingest",
            f"POST http://127.0.0.1:{settings.ingest_http_port}/audio (headers: filename, optional reference)",
        ),
        *(
            [
                ("ZooKeeper", cluster.zookeeper_connect_string(settings)),
                ("Node ListenHTTP", ", ".join(str(node.ingest_http_port) for node in cluster.nodes(settings))),
            ]
            if settings.clustered
            else []
        ),
        *(
            [("Results database", postgres.database_url(settings))]
            if results_database.uses_started_postgres(settings)
            else []
        ),
        ("Inbox folder", str(settings.inbox_dir)),
        ("Results folder", str(settings.results_dir)),
        ("Quarantine folder", str(settings.quarantine_dir)),
        ("PESQ references", str(settings.references_dir)),
        ("Catalog folder", str(settings.catalog_dir)),
        (
            "Model server",
            f"gRPC 127.0.0.1:{settings.serving_grpc_port}, metrics {model_server.rest_url(settings)}"
            "/monitoring/prometheus/metrics",
        ),
        ("Prometheus", f"http://127.0.0.1:{settings.prometheus_port}/"),
        ("Pushgateway", f"http://127.0.0.1:{settings.pushgateway_port}/"),
        ("Logs", str(settings.logs_dir)),
    ]


def deploy(settings: Settings, attempts: int = DEPLOY_ATTEMPTS) -> str:
    """Deploy the flow (through node 1 in a cluster: NiFi replicates it to every node); if NiFi never
    answers, keep a thread dump, restart NiFi and deploy again.

    NiFi 2.3.0 now and then leaves the upload of a flow with Python processors unanswered: it starts
    launching the first Python process and then neither adds the processors nor answers (seen twice in
    about forty starts on fresh data dirs; the next start went through). After a restart the group, if
    it was stored at all, may be incomplete, so it is replaced from the flow file.
    """
    replace = False
    for attempt in range(1, attempts):
        try:
            return flow.deploy(settings, replace=replace)
        except requests.Timeout:
            dump = nifi_instance.thread_dump(settings)
            print(
                f"NiFi did not answer the flow deployment (attempt {attempt} of {attempts}); thread dump: "
                f"{dump}; restarting NiFi",
                file=sys.stderr,
            )
            nodes.stop(cluster.nodes(settings), timeout=RESTART_STOP_TIMEOUT_S)
            nodes.start(settings)
            replace = True
        except NiFiApiError as error:
            if not settings.clustered:
                raise
            # A node that reconnects during the deployment fails its replicated update ("Failed to
            # update Flow on all nodes"): wait until all are connected again and replace the group.
            print(f"flow deployment failed while the cluster changed (attempt {attempt}): {error}", file=sys.stderr)
            nodes.wait_connected(settings)
            replace = True
    return flow.deploy(settings, replace=replace)


def _start(service: Service, timings: dict[str, float]) -> None:
    started = time.monotonic()
    service.start()
    timings[f"{service.name}_up"] = time.monotonic() - started


def bring_up(settings: Settings) -> dict[str, float]:
    """Start whatever is not running; return timings (seconds) of the steps that ran.

    The model server comes first (ClassifyAudio holds files until it answers), in a cluster also
    ZooKeeper and the results database, then NiFi and the flow, then the services marked
    `after_flow` (the metrics stack, the ingest balancer, the secure profile's token refresher).
    """
    timings: dict[str, float] = {}
    timings["setup"] = setup.setup(settings)
    if settings.clustered and settings.profile == "secure":
        raise ValueError(
            "NIFI_CLUSTER_NODES > 1 runs the dev profile only: the secure profile's nodes would need "
            "certificates of their own (see README, Scaling out)"
        )
    background = services.for_settings(settings)
    for service in background:
        if not service.after_flow:
            _start(service, timings)
    if results_database.uses_started_postgres(settings):
        postgres.ensure_database(settings)
    started = time.monotonic()
    nodes.start(settings)
    timings["nifi_up" if not settings.clustered else "nodes_connected"] = time.monotonic() - started
    if not flow.is_running(settings):
        group_id = deploy(settings)
        flow.start(settings, group_id)
    timings["flow_running"] = time.monotonic() - started
    for service in background:
        if service.after_flow:
            _start(service, timings)
    return timings


def main(argv: list[str] | None = None) -> int:
    # scripts/run deploys to the NiFi it starts; NIFI_URL names another NiFi for ./scripts/flow only
    settings = dataclasses.replace(load(), nifi_url="")
    try:
        timings = bring_up(settings)
    except RuntimeError as error:  # includes nodes.NodeStartError; a service that did not get ready
        if not (settings.clustered or isinstance(error, nodes.NodeStartError)):
            raise
        stop.stop_everything(settings)  # a cluster that cannot form leaves nothing half-running
        print(f"scripts/run: {error}\nStopped everything it had started.", file=sys.stderr)
        return 1
    width = max(len(name) for name, _ in entry_points(settings))
    print("Audio pipeline is running.")
    for name, value in entry_points(settings):
        print(f"  {name:<{width}}  {value}")
    print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
