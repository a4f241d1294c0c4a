"""Which kustomize renders the manifests: kubectl's where kubectl is on PATH, else the standalone CLI
built once into build/tools (so the manifest tests run, never skip, on a machine without kubectl)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipelinectl import kubernetes_tools


def test_kubectl_kustomize_when_kubectl_is_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kubernetes_tools.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(kubernetes_tools, "ensure_kustomize", lambda: pytest.fail("built kustomize needlessly"))
    assert kubernetes_tools.kustomize_command() == ["kubectl", "kustomize"]


def test_built_kustomize_without_kubectl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(kubernetes_tools.shutil, "which", lambda name: None)
    monkeypatch.setattr(kubernetes_tools, "ensure_kustomize", lambda: tmp_path / "kustomize")
    assert kubernetes_tools.kustomize_command() == [str(tmp_path / "kustomize"), "build"]


def test_go_install_builds_once_per_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_run(command: list[str], env: dict[str, str], check: bool) -> None:
        calls.append(command)
        (Path(env["GOBIN"]) / "kustomize").write_text("binary")

    monkeypatch.setattr(kubernetes_tools.subprocess, "run", fake_run)
    monkeypatch.setattr(kubernetes_tools, "go_command", lambda: Path("/usr/local/go/bin/go"))
    binary = tmp_path / "tools" / "kustomize"
    module = kubernetes_tools.KUSTOMIZE_MODULE
    assert kubernetes_tools._go_install(module, "v5.8.2", binary) == binary
    assert kubernetes_tools._go_install(module, "v5.8.2", binary) == binary
    assert calls == [["/usr/local/go/bin/go", "install", f"{module}@v5.8.2"]]
    kubernetes_tools._go_install(module, "v5.9.0", binary)  # another version: built again
    assert len(calls) == 2 and (tmp_path / "tools" / "kustomize.version").read_text() == "v5.9.0\n"


def test_built_kustomize_renders_a_kustomization(tmp_path: Path) -> None:
    """The real standalone CLI at KUSTOMIZE_VERSION (built on first use, then reused from build/tools)."""
    (tmp_path / "kustomization.yaml").write_text(
        "namespace: demo\nconfigMapGenerator:\n- name: settings\n  literals: [KEY=value]\n"
    )
    version = subprocess.run(
        [str(kubernetes_tools.ensure_kustomize()), "version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == kubernetes_tools.KUSTOMIZE_VERSION
    result = subprocess.run(
        [str(kubernetes_tools.kustomize_path()), "build", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "namespace: demo" in result.stdout and "KEY: value" in result.stdout
