"""The cluster exporter: what a NiFi cluster says about its nodes, as Prometheus gauges.

NiFi's own /nifi-api/flow/metrics/prometheus describes one node and says nothing about which node
is primary or coordinator; the cluster's view of its nodes is the REST resource
GET /nifi-api/controller/cluster, answered only by a connected node. The exporter asks each node in
turn until one answers (a stopped node must not blind it) and exposes the answer at every scrape.

    names         the metric names and help texts, the one place for them
    cluster_view  the REST answer read into node statuses, and asking the nodes for it
    collector     the prometheus_client collector turning a view into gauges
    server        the HTTP program (python -m pipelinectl.cluster_metrics)
"""
