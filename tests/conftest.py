"""Shared pytest fixtures."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from audio_fixtures import AudioFactory, missing_tools
from postgres import postgres_cluster  # noqa: F401  (session fixture, used by db_url)


@pytest.fixture(scope="session")
def audio(tmp_path_factory: pytest.TempPathFactory) -> AudioFactory:
    """Generated test audio (espeak-ng, sox, ffmpeg), cached for the whole test session."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"audio generation tools not installed: {', '.join(missing)}")
    return AudioFactory(tmp_path_factory.mktemp("audio"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database for the results store and fingerprint index: SQLite, then real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state/pipeline.db"
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"test_{uuid.uuid4().hex[:12]}")
