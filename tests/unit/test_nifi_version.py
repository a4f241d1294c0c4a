"""One NiFi version everywhere: NIFI_VERSION of pipelinectl/nifi/assembly.py (what the tests run) is
the version of docker-compose's image, of nifi/Dockerfile, of the Kubernetes image tag, of the flows'
NiFi bundles, of every NiFi artifact a pom names, and of what the documents say is deployed."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from support.compose_file import raw as compose

from pipelinectl.nifi.assembly import NIFI_VERSION
from pipelinectl.settings import REPO_ROOT

POM_NAMESPACE = "{http://maven.apache.org/POM/4.0.0}"
# A pom takes the version from assembly.py (-Dnifi.version); nifi-api has releases of its own.
POM_VERSION_PROPERTIES = {"${nifi.version}", "${nifi-api.version}"}
VERSION = r"\d+\.\d+\.\d+"
# "NiFi 2.3.0", "apache/nifi:2.3.0", "nifi-framework-kubernetes-nar-2.3.0.nar" in prose and configs.
MENTION = re.compile(rf"(?:\bNiFi |apache/nifi:|\bnifi-[a-z0-9-]+-)(?P<version>{VERSION})\b")
# A line may name another version when it says why that one is not used or what changed in it.
CONTRAST = re.compile(
    r"\b(?:not|no|newer|later|lacks?|missing|fixed|since|until|mov(?:es|ed)|remov(?:es|ed)|refused)\b", re.I
)


def tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]


def bundles(node: Any) -> Iterator[dict[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("bundle"), dict):
            yield node["bundle"]
        for value in node.values():
            yield from bundles(value)
    elif isinstance(node, list):
        for value in node:
            yield from bundles(value)


def test_compose_runs_the_nifi_the_tests_run() -> None:
    assert compose()["services"]["nifi"]["image"] == f"apache/nifi:{NIFI_VERSION}"


def test_dockerfile_builds_on_that_nifi() -> None:
    dockerfile = (REPO_ROOT / "nifi" / "Dockerfile").read_text()
    assert re.findall(r"^ARG NIFI_VERSION=(\S+)$", dockerfile, re.M) == [NIFI_VERSION]
    assert set(re.findall(r"^FROM apache/nifi:(\S+)", dockerfile, re.M)) == {"${NIFI_VERSION}"}


def test_kubernetes_image_tag_is_that_nifi() -> None:
    tags = []
    for kustomization in (REPO_ROOT / "kubernetes").rglob("kustomization.yaml"):
        for image in yaml.safe_load(kustomization.read_text()).get("images", []):
            if image["name"] == "audio-pipeline/nifi" and "newTag" in image:
                tags.append(image["newTag"])
    assert tags, "kubernetes/base/kustomization.yaml sets the nifi image's tag"
    for tag in tags:  # 2.3.0, or a build of it: 2.3.0-<revision>
        assert tag == NIFI_VERSION or tag.startswith(f"{NIFI_VERSION}-"), tag


def test_flows_use_nifi_bundles_of_that_version() -> None:
    flows = sorted((REPO_ROOT / "nifi" / "flows").glob("*.json"))
    assert flows
    for flow in flows:
        found = [
            b
            for b in bundles(json.loads(flow.read_text()))
            if b.get("group") == "org.apache.nifi" and b.get("artifact") != "python-extensions"
        ]
        assert found, flow
        assert {b["version"] for b in found} == {NIFI_VERSION}, flow.name


def test_poms_take_the_version_from_assembly() -> None:
    poms = [p for p in tracked("*pom.xml") if "target" not in p.parts]
    checked = 0
    for pom in poms:
        root = ElementTree.parse(pom).getroot()
        for element in root.iter():
            group = element.find(f"{POM_NAMESPACE}groupId")
            version = element.find(f"{POM_NAMESPACE}version")
            if group is not None and group.text == "org.apache.nifi" and version is not None:
                assert version.text in POM_VERSION_PROPERTIES | {NIFI_VERSION}, (pom, version.text)
                checked += 1
    assert checked >= 10, "the poms' NiFi artifacts were not found"


def test_documents_and_configs_name_that_version() -> None:
    files = tracked("*.md", "docker-compose.yml", "nifi/Dockerfile", "kubernetes/*")
    assert files
    wrong = []
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            others = {m["version"] for m in MENTION.finditer(line)} - {NIFI_VERSION}
            if others and not CONTRAST.search(line) and NIFI_VERSION not in line:
                wrong.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not wrong, "\n".join(wrong)


def test_the_mention_pattern() -> None:
    line = "runs `apache/nifi:2.11.0` and NiFi 2.3.0 with nifi-framework-kubernetes-nar-2.3.0.nar; NiFi 2.x"
    assert [m["version"] for m in MENTION.finditer(line)] == ["2.11.0", "2.3.0", "2.3.0"]
    assert CONTRAST.search("2.11.0 is not on the registry")
