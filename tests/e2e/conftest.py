"""End-to-end fixtures: one real NiFi (from our assembly) for the whole e2e session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.pipeline_instance import Pipeline, start_pipeline, stop_pipeline
from support.postgres import find_bindir, shared_cluster


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The main instance keeps its results table and fingerprint index in a real PostgreSQL (several
    NiFi Python processes write to it at once); the secure-profile instance uses the SQLite default."""
    # PostgreSQL here trusts local connections: the password is not checked, but deploy and export
    # handle it as they would a real one (test_e2e_processor_configuration checks it never shows).
    extra = {"RESULTS_DATABASE_PASSWORD": "e2e-password-not-a-secret"}
    if find_bindir() is not None:
        extra["RESULTS_DATABASE_URL"] = shared_cluster().create_database("pipeline_e2e")
    instance = start_pipeline(tmp_path_factory.mktemp("pipeline-data"), **extra)
    try:
        yield instance
    finally:
        stop_pipeline(instance)
