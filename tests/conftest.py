"""Shared pytest fixtures, and the markers that the folder of a test implies.

tests/unit: pure and fast. tests/services: against real service programs (PostgreSQL, Prometheus,
the Pushgateway, promtool, docker-compose, the model server), marked `services`. tests/e2e: a real
NiFi, marked `e2e`. `./scripts/test -m "not e2e and not services"` runs the pure tests alone.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from support.audio_fixtures import AudioFactory, missing_tools
from support.postgres import postgres_cluster  # noqa: F401  (session fixture, used by db_url)

TESTS_DIR = Path(__file__).resolve().parent
MARKER_OF_FOLDER = {"services": "services", "e2e": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.path).resolve().relative_to(TESTS_DIR).parts[0]
        if folder in MARKER_OF_FOLDER:
            item.add_marker(MARKER_OF_FOLDER[folder])


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
