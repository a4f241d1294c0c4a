"""The NiFi image's entry point (nifi/container/): override files change exactly their keys of
nifi.properties and bootstrap.conf, then the official start script runs with the same arguments."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from pipelinectl.settings import REPO_ROOT

CONTAINER = REPO_ROOT / "nifi" / "container"
spec = importlib.util.spec_from_file_location("apply_properties", CONTAINER / "apply_properties.py")
apply_properties = importlib.util.module_from_spec(spec)
spec.loader.exec_module(apply_properties)


def test_parse_skips_comments_and_keeps_values_verbatim() -> None:
    text = "# why\n\nnifi.a=1\n! also a comment\nnifi.b = two words \njava.arg.x=-Dk=v\n"
    assert apply_properties.parse(text) == {"nifi.a": "1", "nifi.b": "two words", "java.arg.x": "-Dk=v"}


def test_parse_refuses_a_line_without_a_key() -> None:
    with pytest.raises(ValueError, match="line 2"):
        apply_properties.parse("nifi.a=1\njust words\n")


def test_apply_replaces_active_lines_keeps_the_rest_and_appends_new_keys() -> None:
    properties = "# nifi.a=commented\nnifi.a=old\nnifi.keep=same\nnifi.a=again\n"
    assert apply_properties.apply(properties, {"nifi.a": "new", "nifi.added": "x"}) == (
        "# nifi.a=commented\nnifi.a=new\nnifi.keep=same\nnifi.a=new\nnifi.added=x\n"
    )


def test_entry_point_applies_the_overrides_then_runs_start_sh(tmp_path: Path) -> None:
    conf = tmp_path / "nifi" / "conf"
    conf.mkdir(parents=True)
    (conf / "nifi.properties").write_text("nifi.cluster.load.balance.port=6342\nnifi.web.https.port=8443\n")
    (conf / "bootstrap.conf").write_text("java.arg.2=-Xms1g\n")
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "nifi.properties.override").write_text("nifi.cluster.load.balance.port=7000\n")
    (overrides / "bootstrap.conf.override").write_text("java.arg.extra=-Dx=1\n")
    official = tmp_path / "start.sh"
    official.write_text('#!/bin/sh\necho "official start $*"\n')
    official.chmod(0o755)
    environment = {
        **os.environ,
        "NIFI_HOME": str(tmp_path / "nifi"),
        "PIPELINE_NIFI_OVERRIDES": str(overrides),
        "NIFI_START_SCRIPT": str(official),
    }
    result = subprocess.run(
        ["sh", str(CONTAINER / "start.sh"), "--flag"], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "official start --flag"
    assert (conf / "nifi.properties").read_text() == "nifi.cluster.load.balance.port=7000\nnifi.web.https.port=8443\n"
    assert (conf / "bootstrap.conf").read_text() == "java.arg.2=-Xms1g\njava.arg.extra=-Dx=1\n"


def test_entry_point_without_overrides_only_runs_start_sh(tmp_path: Path) -> None:
    official = tmp_path / "start.sh"
    official.write_text("#!/bin/sh\necho started\n")
    official.chmod(0o755)
    environment = {
        **os.environ,
        "NIFI_HOME": str(tmp_path),
        "PIPELINE_NIFI_OVERRIDES": str(tmp_path / "none"),
        "NIFI_START_SCRIPT": str(official),
    }
    result = subprocess.run(["sh", str(CONTAINER / "start.sh")], env=environment, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "started\n")
