"""The "Audio pipeline platform" dashboard: NiFi queues, back-pressure and JVM; in cluster mode the
nodes' connection, roles, throughput and queues; the model server's requests, errors and latency;
scrape targets."""

from __future__ import annotations

from grafana.panel_specs import CONNECTION, RATE, PanelSpec, Query, Rows, quantile_queries


def platform_rows() -> Rows:
    """Rows of the "Audio pipeline platform" dashboard (NiFi, JVM, model server, scrapes)."""
    pair = "{{source_name}} → {{destination_name}}"
    nifi = [
        PanelSpec(
            "Queue depth per connection",
            "timeseries",
            [
                Query(
                    f"sum by (source_name, destination_name) (nifi_amount_items_queued{{{CONNECTION}}})",
                    pair,
                )
            ],
            "FlowFiles waiting in each NiFi connection.",
            stacked=True,
        ),
        PanelSpec(
            "Queued bytes per connection",
            "timeseries",
            [
                Query(
                    f"sum by (source_name, destination_name) (nifi_size_content_queued_total{{{CONNECTION}}})",
                    pair,
                )
            ],
            "Content bytes waiting in each NiFi connection.",
            unit="bytes",
            stacked=True,
        ),
        PanelSpec(
            "Back-pressure engaged",
            "timeseries",
            [
                Query(
                    f"max by (source_name, destination_name) (nifi_backpressure_enabled{{{CONNECTION}}})",
                    pair,
                )
            ],
            "1 while a connection is at its object or size threshold (its source is not scheduled).",
            extra={"min": 0, "max": 1},
        ),
        PanelSpec(
            "Queue fill (% of back-pressure threshold)",
            "timeseries",
            [
                Query(
                    f"max by (source_name, destination_name) (nifi_percent_used_count{{{CONNECTION}}})",
                    pair + " objects",
                ),
                Query(
                    f"max by (source_name, destination_name) (nifi_percent_used_bytes{{{CONNECTION}}})",
                    pair + " bytes",
                ),
            ],
            "How close each connection is to back-pressure (alert above 80%).",
            unit="percent",
        ),
        PanelSpec(
            "Processor activity",
            "timeseries",
            [
                Query(
                    'sum by (component_name) (nifi_amount_items_input{component_type="Processor"})',
                    "{{component_name}} in",
                ),
                Query(
                    'sum by (component_name) (nifi_amount_threads_active{component_type="Processor"})',
                    "{{component_name}} threads",
                ),
            ],
            "FlowFiles taken in per processor over NiFi's rolling 5-minute window, and active threads.",
        ),
        PanelSpec(
            "JVM heap",
            "timeseries",
            [
                Query("max by (instance) (nifi_jvm_heap_used)", "used {{instance}}"),
            ],
            "NiFi JVM heap in use.",
            unit="bytes",
            width=6,
        ),
        PanelSpec(
            "JVM heap usage",
            "stat",
            [Query("max by (instance) (nifi_jvm_heap_usage)", "{{instance}}")],
            "Heap used as a share of the maximum heap (alert above 90%).",
            unit="percentunit",
            width=6,
        ),
    ]
    model = [
        PanelSpec(
            "Model-server requests by status",
            "timeseries",
            [
                Query(
                    f"sum by (model_name, status) (rate(:tensorflow:serving:request_count[{RATE}]))",
                    "{{model_name}} {{status}}",
                )
            ],
            "TensorFlow Serving requests per second by model and gRPC status.",
            unit="reqps",
            stacked=True,
        ),
        PanelSpec(
            "Model-server error ratio",
            "timeseries",
            [
                Query(
                    # Without failed requests there is no status!="OK" series: the requests' own rate times 0
                    # stands in, so a healthy server shows 0 rather than no data.
                    "(sum by (model_name) "
                    f'(rate(:tensorflow:serving:request_count{{status!="OK"}}[{RATE}]))'
                    f" or 0 * sum by (model_name) (rate(:tensorflow:serving:request_count[{RATE}])))"
                    " / sum by (model_name) "
                    f"(rate(:tensorflow:serving:request_count[{RATE}]))",
                    "{{model_name}}",
                )
            ],
            "Share of model-server requests that did not return OK (alert above 5%); 0 while all succeed.",
            unit="percentunit",
        ),
        PanelSpec(
            "Model-server request latency",
            "timeseries",
            quantile_queries(":tensorflow:serving:request_latency", by=("model_name",), divide="1e6"),
            "p50/p95/p99 request latency inside TensorFlow Serving (exported in microseconds).",
            unit="s",
        ),
        PanelSpec(
            "Scrape targets up",
            "stat",
            [Query("min by (job) (up)", "{{job}}")],
            "1 = Prometheus reaches every target of the job (nifi: every node; pushgateway, model_server, "
            "prometheus; in cluster mode also nifi_cluster, ingest_balancer).",
        ),
    ]
    return [("NiFi", nifi), ("Cluster", cluster_panels()), ("Model server and scrapes", model)]


def cluster_panels() -> list[PanelSpec]:
    """The cluster row; standalone, only the two per-node panels show data (for the one node)."""
    return [
        PanelSpec(
            "Connected nodes",
            "stat",
            [
                Query('max(audio_pipeline_nifi_cluster_nodes{state="CONNECTED"})', "connected"),
                Query("max(audio_pipeline_nifi_cluster_nodes_expected)", "expected"),
            ],
            "Nodes the cluster reports CONNECTED, and the nodes it should have (NIFI_CLUSTER_NODES); "
            "alerts when fewer for a minute. Cluster mode only.",
            width=6,
        ),
        PanelSpec(
            "Primary node",
            "stat",
            [
                Query("max by (node) (audio_pipeline_nifi_cluster_node_primary) == 1", "primary {{node}}"),
                Query("max by (node) (audio_pipeline_nifi_cluster_node_coordinator) == 1", "coordinator {{node}}"),
            ],
            "The node running the primary-node-only listings (inbox, catalog), and the cluster "
            "coordinator. Cluster mode only.",
            width=6,
            extra={"text_mode": "name"},
        ),
        PanelSpec(
            "Node connection",
            "timeseries",
            [Query("max by (node) (audio_pipeline_nifi_cluster_node_connected)", "{{node}}")],
            "1 while the cluster reports the node CONNECTED: dips are disconnects, restarts and failovers. "
            "Cluster mode only.",
            extra={"min": 0, "max": 1},
        ),
        PanelSpec(
            "Throughput per node",
            "timeseries",
            [Query(f"sum by (instance) (rate(audio_pipeline_files_total[{RATE}]))", "{{instance}}")],
            "Files finished per second by the node whose processors recorded them (pushed `instance`: "
            "host:web port of the node).",
            unit="ops",
            stacked=True,
        ),
        PanelSpec(
            "Queue depth per node",
            "timeseries",
            [Query(f"sum by (instance) (nifi_amount_items_queued{{{CONNECTION}}})", "{{instance}}")],
            "FlowFiles waiting in all connections of each node (scraped `instance`: the node's web address).",
            stacked=True,
        ),
    ]
