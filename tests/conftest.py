"""Shared pytest fixtures."""

from __future__ import annotations

import pytest
from audio_fixtures import AudioFactory, missing_tools


@pytest.fixture(scope="session")
def audio(tmp_path_factory: pytest.TempPathFactory) -> AudioFactory:
    """Generated test audio (espeak-ng, sox, ffmpeg), cached for the whole test session."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"audio generation tools not installed: {', '.join(missing)}")
    return AudioFactory(tmp_path_factory.mktemp("audio"))
