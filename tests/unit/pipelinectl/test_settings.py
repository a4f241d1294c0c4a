"""settings.py declares every environment variable the repository's Python code reads, and `load()`
and `as_environment()` treat them as documented."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from audio_pipeline.metrics import environment as metrics_environment

from pipelinectl import settings
from pipelinectl.settings import REPO_ROOT, load

NOT_OURS = {"PATH", "PATH_INFO", "GOBIN", "OPENBLAS_NUM_THREADS"}
# the OS's; a WSGI request key (cluster_metrics.server); Go's install dir; OpenBLAS's (audio_pipeline pins it)
MAPPING_NAMES = {"env", "environ", "environment", "source"}  # how our code names an environment mapping


def _is_environ(node: ast.expr) -> bool:
    """`os.environ`, `environ`, or a mapping named like one (metrics.py reads `env`/`source`)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id in MAPPING_NAMES


def _constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper():
        return node.value
    return None


def environment_reads(tree: ast.AST) -> set[str]:
    """Names read through environ[...], environ.get/setdefault/pop(...), getenv(...) or env.get(...)."""
    found = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            name = _constant(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "setdefault", "pop")
                and _is_environ(func.value)
            ):
                name = _constant(node.args[0])
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            ):
                name = _constant(node.args[0])
        if name:
            found.add(name)
    return found


def repository_reads() -> dict[str, set[str]]:
    """Variable name -> files of the repository's Python sources that read it."""
    files = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    reads: dict[str, set[str]] = {}
    for relative in files:
        path = REPO_ROOT / relative
        if not path.exists():  # deleted in the work tree, not yet committed
            continue
        for name in environment_reads(ast.parse(path.read_text(encoding="utf-8"), relative)):
            reads.setdefault(name, set()).add(relative)
    # The metrics sink reads its variables through named constants, listed in one tuple.
    for name in metrics_environment.VARIABLES:
        reads.setdefault(name, set()).add(metrics_environment.__name__)
    return reads


def test_the_scanner_sees_every_way_our_code_reads_the_environment() -> None:
    code = """
import os
a = os.environ["A_VAR"]
b = os.environ.get("B_VAR", "")
c = os.getenv("C_VAR")
os.environ.setdefault("D_VAR", "2")
def f(env): return env.get("E_VAR", "") + f"{env.get('F_VAR', '')}"
os.environ["NOT_A_READ"] = "1"
lookup = {"G_VAR": 1}.get("G_VAR")
"""
    assert environment_reads(ast.parse(code)) == {"A_VAR", "B_VAR", "C_VAR", "D_VAR", "E_VAR", "F_VAR"}


def test_every_environment_variable_read_is_declared_in_settings() -> None:
    declared = {v.name for v in settings.VARIABLES}
    reads = repository_reads()
    undeclared = {name: sorted(files) for name, files in reads.items() if name not in declared | NOT_OURS}
    assert not undeclared, f"declare these in pipelinectl/settings.py VARIABLES: {undeclared}"
    assert {"PUSHGATEWAY_URL", "METRICS_STATE_DIR", "EVAL_RESERVED_FILE", "PG_BIN"} <= set(reads)


def test_variables_read_by_name_elsewhere_are_really_read() -> None:
    reads = repository_reads()
    elsewhere = [v.name for v in settings.VARIABLES if settings.CONTROL_PLANE not in v.read_by]
    assert [name for name in elsewhere if name not in reads] == []


def test_every_variable_is_documented_once() -> None:
    names = [v.name for v in settings.VARIABLES]
    assert len(names) == len(set(names))
    assert all(v.meaning and v.read_by for v in settings.VARIABLES)
    assert float(settings.VARIABLES[names.index("METRICS_PUSH_INTERVAL_SECONDS")].default) == (
        metrics_environment.DEFAULT_PUSH_INTERVAL_SECONDS
    )


def test_defaults_and_empty_values(tmp_path: Path) -> None:
    defaults = load({})
    assert defaults.data_dir == REPO_ROOT / "var"
    assert (defaults.profile, defaults.nifi_http_port, defaults.pushgateway_port) == ("dev", 8080, 9091)
    assert load({"NIFI_HTTP_PORT": ""}).nifi_http_port == 8080, "empty means the default"
    assert load({"NIFI_TLS_VERIFY": "false"}).nifi_tls_verify is False


def test_as_environment_passes_what_nifis_python_processes_read(tmp_path: Path) -> None:
    env = {"PIPELINE_DATA_DIR": str(tmp_path), "PUSHGATEWAY_PORT": "19091", "METRICS_INSTANCE": "host-a"}
    environment = load({**env, "METRICS_STATE_DIR": "", "NIFI_PASSWORD": "secret"}).as_environment()
    assert environment["PIPELINE_DATA_DIR"] == str(tmp_path)
    assert environment["PUSHGATEWAY_PORT"] == "19091"
    assert environment["METRICS_INSTANCE"] == "host-a"
    assert "METRICS_STATE_DIR" not in environment, "unset (empty) stays unset: the processors' default applies"
    assert "NIFI_PASSWORD" not in environment, "NiFi does not need the control plane's credentials"
    assert set(environment) - set(settings.DEFAULTS) <= set(settings.PROCESSOR_ONLY)


def test_settings_hand_url_and_password_to_the_processes_they_start(tmp_path: Path) -> None:
    settings = load(
        {
            "PIPELINE_DATA_DIR": str(tmp_path),
            "RESULTS_DATABASE_URL": "postgresql://audio@db/audio",
            "RESULTS_DATABASE_PASSWORD": "pw",
        }
    )
    environment = settings.as_environment()
    assert (environment["RESULTS_DATABASE_URL"], environment["RESULTS_DATABASE_PASSWORD"]) == (
        "postgresql://audio@db/audio",
        "pw",
    )
    assert load(environment) == settings


def test_readme_configuration_table_is_the_generated_one() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in readme, (
        "README.md's configuration table differs from `python -m pipelinectl.settings`: paste its output"
    )
