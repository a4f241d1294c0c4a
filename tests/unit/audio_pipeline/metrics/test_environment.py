"""The environment variables the sink reads, and their defaults."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.metrics import environment


def test_pushgateway_url() -> None:
    assert environment.pushgateway_url({}) == "http://127.0.0.1:9091"
    assert environment.pushgateway_url({"PUSHGATEWAY_PORT": "19091"}) == "http://127.0.0.1:19091"
    assert environment.pushgateway_url({"PUSHGATEWAY_URL": "http://pg:9091"}) == "http://pg:9091"
    assert environment.pushgateway_url({"PUSHGATEWAY_URL": "off"}) is None


def test_state_dir() -> None:
    assert environment.state_dir({}) is None
    assert environment.state_dir({"PIPELINE_DATA_DIR": "/d"}) == Path("/d/state/metrics")
    assert environment.state_dir({"PIPELINE_DATA_DIR": "/d", "METRICS_STATE_DIR": "/m"}) == Path("/m")


def test_sink_options_and_component() -> None:
    assert environment.sink_options({}) == {
        "pushgateway_url": "http://127.0.0.1:9091",
        "state_dir": None,
        "interval": 2.0,
        "instance": None,
    }
    options = environment.sink_options(
        {"PUSHGATEWAY_URL": "off", "METRICS_PUSH_INTERVAL_SECONDS": "0.5", "METRICS_INSTANCE": "host-a"}
    )
    assert (options["pushgateway_url"], options["interval"], options["instance"]) == (None, 0.5, "host-a")
    assert environment.component({}) == "python"
    assert environment.component({"METRICS_COMPONENT": "Bench"}) == "Bench"


def test_every_variable_is_named_once() -> None:
    assert environment.VARIABLES == (
        "PUSHGATEWAY_URL",
        "PUSHGATEWAY_PORT",
        "METRICS_STATE_DIR",
        "PIPELINE_DATA_DIR",
        "METRICS_PUSH_INTERVAL_SECONDS",
        "METRICS_INSTANCE",
        "METRICS_COMPONENT",
    )
