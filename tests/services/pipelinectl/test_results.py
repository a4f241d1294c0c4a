"""./scripts/results (pipelinectl.results) reading a real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from audio_pipeline.database import Database
from audio_pipeline.results_store import ResultsStore
from support.finished_flowfiles import flowfile

from pipelinectl import results as results_cli


def test_cli_reads_postgresql_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = request.getfixturevalue("postgres_cluster").create_database(f"cli_{uuid.uuid4().hex[:8]}")
    ResultsStore(Database(url)).record(flowfile("from-pg.wav"), "ok")
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESULTS_DATABASE_URL", url)
    assert results_cli.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["filename"] == "from-pg.wav"
