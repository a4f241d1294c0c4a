"""The offline checkers of the Kubernetes manifests (kubernetes/), installed into build/.

No cluster can run here, so the manifests are rendered and validated offline. Rendering uses
`kubectl kustomize` where kubectl is on PATH, else the standalone kustomize CLI (the same kustomize
that kubectl embeds), built from the Go module proxy into build/tools: `kustomize_command()` chooses.
Validation uses kubeconform, built there too, and the JSON schemas that the PyPI package
kubernetes-validate ships (requirements/dev.txt). kubeconform cannot use those schemas as shipped:
they refer to their definitions as "/api/_definitions.json", so a copy under build/ gets file://
references to its own _definitions.json. `ensure()` is idempotent and fast once done.
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
# v5.8.2 is the newest release whose go.mod (go 1.26.0, kustomize/api v0.21.2) this machine's Go 1.26
# builds; v5.8.3 needs Go 1.27. kubectl embeds its own kustomize (kubectl 1.32: v5.5.0); both render the
# production overlay to the same bytes.
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION = "v5.8.2"
KUBERNETES_VERSION = "1.33.0"  # the API version the manifests are validated against
TOOLS_DIR = REPO_ROOT / "build" / "tools"
SCHEMAS_ROOT = REPO_ROOT / "build" / "kubeconform-schemas"
GO_FALLBACK = Path("/usr/local/go/bin/go")
SHIPPED_REFERENCE = '"/api/_definitions.json'


def go_command() -> Path:
    """The Go toolchain that builds kubeconform and kustomize (PATH first, then where the machine image puts it)."""
    found = shutil.which("go")
    if found:
        return Path(found)
    if GO_FALLBACK.exists():
        return GO_FALLBACK
    raise RuntimeError("kubeconform and kustomize are built with Go, not on PATH nor at /usr/local/go/bin/go")


def kubeconform_path() -> Path:
    return TOOLS_DIR / "kubeconform"


def kustomize_path() -> Path:
    return TOOLS_DIR / "kustomize"


def _go_install(module: str, module_version: str, binary: Path) -> Path:
    """`go install module@module_version` into build/tools, once: a stamp file records the version."""
    stamp = binary.with_name(binary.name + ".version")
    if binary.exists() and stamp.exists() and stamp.read_text().strip() == module_version:
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "GOBIN": str(binary.parent)}
    subprocess.run([str(go_command()), "install", f"{module}@{module_version}"], env=environment, check=True)
    stamp.write_text(module_version + "\n")
    return binary


def ensure_kubeconform() -> Path:
    """kubeconform at KUBECONFORM_VERSION in build/tools, built once (about a minute on 2 cores)."""
    return _go_install(KUBECONFORM_MODULE, KUBECONFORM_VERSION, kubeconform_path())


def ensure_kustomize() -> Path:
    """The standalone kustomize CLI at KUSTOMIZE_VERSION in build/tools, built once (about 30 s on 2 cores
    with the modules to download)."""
    return _go_install(KUSTOMIZE_MODULE, KUSTOMIZE_VERSION, kustomize_path())


def kustomize_command() -> list[str]:
    """The command that renders a kustomization (append the flags and the folder): `kubectl kustomize`
    where kubectl is on PATH, else `kustomize build` of the CLI built into build/tools."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return [str(ensure_kustomize()), "build"]


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
    """Everything the manifest tests need beyond the virtualenv (called by setup for the tests):
    kubeconform, its schemas, and kustomize where kubectl is not on PATH."""
    ensure_kubeconform()
    ensure_schemas()
    kustomize_command()


if __name__ == "__main__":
    ensure()
    print(f"kubeconform {kubeconform_path()}, schemas {schemas_dir()}, kustomize {' '.join(kustomize_command())}")
