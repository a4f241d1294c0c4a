"""The offline checkers of the Kubernetes manifests (kubernetes/), installed into build/.

No cluster can run here, so the manifests are rendered (`kubectl kustomize`) and validated offline:
kubeconform, built from the Go module proxy into build/tools, and the JSON schemas that the PyPI
package kubernetes-validate ships (requirements/dev.txt). kubeconform cannot use those schemas as
shipped: they refer to their definitions as "/api/_definitions.json", so a copy under build/ gets
file:// references to its own _definitions.json. `ensure()` is idempotent and fast once done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

KUBECONFORM_MODULE = "github.com/yannh/kubeconform/cmd/kubeconform"
KUBECONFORM_VERSION = "v0.8.0"
KUBERNETES_VERSION = "1.33.0"  # the API version the manifests are validated against
TOOLS_DIR = REPO_ROOT / "build" / "tools"
SCHEMAS_ROOT = REPO_ROOT / "build" / "kubeconform-schemas"
GO_FALLBACK = Path("/usr/local/go/bin/go")
SHIPPED_REFERENCE = '"/api/_definitions.json'


def go_command() -> Path:
    """The Go toolchain that builds kubeconform (PATH first, then where the machine image puts it)."""
    found = shutil.which("go")
    if found:
        return Path(found)
    if GO_FALLBACK.exists():
        return GO_FALLBACK
    raise RuntimeError("kubeconform is built with Go, which is neither on PATH nor at /usr/local/go/bin/go")


def kubeconform_path() -> Path:
    return TOOLS_DIR / "kubeconform"


def ensure_kubeconform() -> Path:
    """kubeconform at KUBECONFORM_VERSION in build/tools, built once (about a minute on 2 cores)."""
    binary = kubeconform_path()
    stamp = TOOLS_DIR / "kubeconform.version"
    if binary.exists() and stamp.exists() and stamp.read_text().strip() == KUBECONFORM_VERSION:
        return binary
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "GOBIN": str(TOOLS_DIR)}
    subprocess.run(
        [str(go_command()), "install", f"{KUBECONFORM_MODULE}@{KUBECONFORM_VERSION}"],
        env=environment,
        check=True,
    )
    stamp.write_text(KUBECONFORM_VERSION + "\n")
    return binary


def shipped_schemas(kubernetes_version: str = KUBERNETES_VERSION) -> Path:
    """kubernetes-validate's strict schemas for one Kubernetes version."""
    import kubernetes_validate

    package = Path(kubernetes_validate.__file__).parent
    return package / "kubernetes-json-schema" / f"v{kubernetes_version}-local-strict"


def schemas_dir(kubernetes_version: str = KUBERNETES_VERSION) -> Path:
    """Where ensure_schemas puts the rewritten copy (one folder per kubernetes-validate version)."""
    return SCHEMAS_ROOT / version("kubernetes-validate") / f"v{kubernetes_version}-local-strict"


def ensure_schemas(kubernetes_version: str = KUBERNETES_VERSION) -> Path:
    """The strict schemas with their definition references resolvable by kubeconform."""
    target = schemas_dir(kubernetes_version)
    marker = target / ".complete"
    if marker.exists():
        return target
    source = shipped_schemas(kubernetes_version)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    definitions = f'"file://{target / "_definitions.json"}'  # replaces the quote and path, keeps the #fragment
    for schema in source.glob("*.json"):
        text = schema.read_text()
        (partial / schema.name).write_text(text.replace(SHIPPED_REFERENCE, definitions))
    (partial / ".complete").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def schema_location(kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """kubeconform's -schema-location template for the rewritten copy (run it with -strict)."""
    root = schemas_dir(kubernetes_version).parent
    return str(
        root / "{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )


def ensure() -> None:
    """Everything the manifest tests need beyond the virtualenv (called by setup for the tests)."""
    ensure_kubeconform()
    ensure_schemas()


if __name__ == "__main__":
    ensure()
    print(f"kubeconform {kubeconform_path()}, schemas {schemas_dir()}")
