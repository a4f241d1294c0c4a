"""The metric names NiFi serves to Prometheus, for checking that our rules and dashboards use real ones."""

from __future__ import annotations

# Gauge names of NiFi 2.3.0's NiFiMetricsRegistry and JvmMetricsRegistry (nifi-web-api,
# org.apache.nifi.prometheusutil), served at /nifi-api/flow/metrics/prometheus; 2.11.0 (the
# compose image) keeps all of them and adds nifi_jvm_*_committed, nifi_jvm_non_heap_used and
# nifi_processing_performance_*. Tests check every nifi_* name in the rules and dashboards.
NIFI_METRIC_NAMES = frozenset(
    """
    nifi_amount_flowfiles_sent nifi_amount_flowfiles_transferred nifi_amount_flowfiles_received
    nifi_amount_flowfiles_removed nifi_amount_bytes_sent nifi_total_bytes_sent nifi_amount_bytes_read
    nifi_total_bytes_read nifi_total_bytes_written nifi_amount_bytes_written nifi_amount_bytes_received
    nifi_total_bytes_received nifi_amount_bytes_transferred nifi_amount_threads_active
    nifi_amount_threads_terminated nifi_size_content_output_total nifi_size_content_input_total
    nifi_size_content_queued_total nifi_amount_items_output nifi_amount_items_input
    nifi_amount_items_queued nifi_total_task_duration nifi_processor_counters
    nifi_backpressure_bytes_threshold nifi_backpressure_object_threshold nifi_backpressure_enabled
    nifi_percent_used_bytes nifi_percent_used_count nifi_transmitting nifi_active_remote_port_count
    nifi_inactive_remote_port_count nifi_average_lineage_duration
    nifi_flow_file_repo_total_space_bytes nifi_flow_file_repo_used_space_bytes
    nifi_flow_file_repo_free_space_bytes nifi_content_repo_total_space_bytes
    nifi_content_repo_used_space_bytes nifi_content_repo_free_space_bytes
    nifi_provenance_repo_total_space_bytes nifi_provenance_repo_used_space_bytes
    nifi_provenance_repo_free_space_bytes
    nifi_jvm_heap_used nifi_jvm_heap_usage nifi_jvm_heap_non_usage nifi_jvm_thread_count
    nifi_jvm_daemon_thread_count nifi_jvm_uptime nifi_jvm_file_descriptor_usage nifi_jvm_gc_runs
    nifi_jvm_gc_time
    """.split()
)
