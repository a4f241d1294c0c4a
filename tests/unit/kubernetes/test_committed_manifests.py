"""What is committed under kubernetes/ holds no secret: Secrets come only from the git-ignored files
of overlays/production/secrets/, each of which the README or an example describes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from support.kubernetes_manifests import KUBERNETES_DIR, OVERLAY, SECRETS_DIR, secret_sources

from pipelinectl.settings import REPO_ROOT


def ignored(path: str) -> bool:
    check = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT, check=False)
    return check.returncode == 0


def committable_files() -> list[Path]:
    return [p for p in KUBERNETES_DIR.rglob("*") if p.is_file() and not ignored(str(p.relative_to(REPO_ROOT)))]


def test_no_committable_manifest_defines_a_secret() -> None:
    for path in committable_files():
        if path.suffix in {".yaml", ".yml"}:
            for document in yaml.safe_load_all(path.read_text()):
                assert not (document or {}).get("kind") == "Secret", path


def test_secret_files_are_ignored_and_their_descriptions_are_not() -> None:
    envs, files = secret_sources()
    for relative in envs + files:
        path = OVERLAY / relative
        assert path.parent == SECRETS_DIR, relative
        assert ignored(str(path.relative_to(REPO_ROOT))), f"{relative} would be committed"
    for kept in ("README.md", ".gitignore", *(f"{Path(e).name}.example" for e in envs)):
        assert not ignored(str((SECRETS_DIR / kept).relative_to(REPO_ROOT))), kept
        assert (SECRETS_DIR / kept).is_file(), kept


def test_examples_hold_placeholders_only_and_the_readme_names_every_file() -> None:
    envs, files = secret_sources()
    readme = (SECRETS_DIR / "README.md").read_text()
    for relative in envs:
        example = (OVERLAY / f"{relative}.example").read_text()
        for line in example.splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, value = line.partition("=")
                assert key == "username" or value.startswith("change-me"), line
    for relative in envs + files:
        assert f"`{Path(relative).name}`" in readme, relative
