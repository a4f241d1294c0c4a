"""Fixtures of the database-backed tests of audio_pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audio_pipeline.database import Database
from audio_pipeline.results_store import ResultsStore


@pytest.fixture
def store(db_url: str) -> Iterator[ResultsStore]:
    """A results store on the parametrised database (SQLite, then PostgreSQL)."""
    s = ResultsStore(Database(db_url))
    yield s
    s.close()
