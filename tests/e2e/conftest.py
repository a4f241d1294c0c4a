"""End-to-end fixtures: one real NiFi (from our assembly) for the whole e2e session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pipeline import Pipeline, start_pipeline, stop_pipeline
from postgres import find_bindir, shared_cluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The main instance keeps its results table and fingerprint index in a real PostgreSQL (several
    NiFi Python processes write to it at once); the secure-profile instance uses the SQLite default."""
    extra = {}
    if find_bindir() is not None:
        extra["RESULTS_DATABASE_URL"] = shared_cluster().create_database("pipeline_e2e")
    instance = start_pipeline(tmp_path_factory.mktemp("pipeline-data"), **extra)
    try:
        yield instance
    finally:
        stop_pipeline(instance)
