"""End-to-end fixtures: one real NiFi (from our assembly) for the whole e2e session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pipeline import Pipeline, start_pipeline, stop_pipeline


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    instance = start_pipeline(tmp_path_factory.mktemp("pipeline-data"))
    try:
        yield instance
    finally:
        stop_pipeline(instance)
