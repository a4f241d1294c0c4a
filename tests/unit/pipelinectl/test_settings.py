"""Pipeline settings from the environment."""

from __future__ import annotations

from pathlib import Path

from pipelinectl.settings import load


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
