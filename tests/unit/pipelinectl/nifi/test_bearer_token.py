"""NiFi bearer tokens: the refresher's file, its CLI, and that it needs nothing but the standard library
(compose's nifi-token container is a bare Python image)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelinectl.nifi import bearer_token
from pipelinectl.settings import REPO_ROOT


def test_refresh_writes_a_private_token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_fetch(base_url: str, username: str, password: str, *, verify_tls: bool = True) -> str:
        calls.append((base_url, username, password, verify_tls))
        return "jwt-token"

    monkeypatch.setattr(bearer_token, "fetch_token", fake_fetch)
    out = tmp_path / "tokens" / "nifi.token"
    bearer_token.refresh_token("https://nifi:8443", "admin", "secret-password", out, verify_tls=False)
    assert out.read_text() == "jwt-token\n"
    assert out.stat().st_mode & 0o777 == 0o600
    assert calls == [("https://nifi:8443", "admin", "secret-password", False)]


def test_refresh_retries_a_failed_login_when_refreshing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[object] = [OSError("connection refused"), "jwt-token"]

    def fake_fetch(*args: object, **kwargs: object) -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    def stop_after_the_write(seconds: float) -> None:
        if not answers:
            raise KeyboardInterrupt

    monkeypatch.setattr(bearer_token, "fetch_token", fake_fetch)
    monkeypatch.setattr(bearer_token.time, "sleep", stop_after_the_write)
    out = tmp_path / "nifi.token"
    with pytest.raises(KeyboardInterrupt):
        bearer_token.refresh_token("https://nifi:8443", "u", "p", out, every=3600, retry_seconds=0)
    assert out.read_text() == "jwt-token\n"

    def nifi_down(*args: object, **kwargs: object) -> str:
        raise OSError("down")

    monkeypatch.setattr(bearer_token, "fetch_token", nifi_down)
    with pytest.raises(OSError):
        bearer_token.refresh_token("https://nifi:8443", "u", "p", out)  # once: the error is the caller's


def test_cli_wants_the_credentials_from_the_environment(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelinectl.nifi.bearer_token", "--out", str(tmp_path / "t")],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2 and "set NIFI_USERNAME and NIFI_PASSWORD" in result.stderr


def test_imports_with_the_standard_library_alone() -> None:
    # -I -S: no site-packages, no PYTHONPATH; only the repo's pipelinectl and the standard library.
    check = (
        f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); import pipelinectl.nifi.bearer_token, importlib.util; "
        "assert importlib.util.find_spec('requests') is None"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", check], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
