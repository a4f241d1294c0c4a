"""A database URL and its password apart and together again."""

from __future__ import annotations

import pytest
from audio_pipeline.database import redact
from audio_pipeline.database_credentials import split_password, with_password


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        ("postgresql://audio:s3cr3t@db:5432/audio", ("postgresql://audio@db:5432/audio", "s3cr3t")),
        (
            "postgresql://audio:p%40ss%2Fw@db/audio?sslmode=require",
            ("postgresql://audio@db/audio?sslmode=require", "p@ss/w"),
        ),
        ("postgresql://audio@db/audio", ("postgresql://audio@db/audio", "")),
        ("postgresql://db/audio", ("postgresql://db/audio", "")),
        ("sqlite:////data/state/pipeline.db", ("sqlite:////data/state/pipeline.db", "")),
        ("", ("", "")),
    ],
)
def test_split_password(url: str, parts: tuple[str, str]) -> None:
    assert split_password(url) == parts


@pytest.mark.parametrize(
    ("url", "password", "joined"),
    [
        ("postgresql://audio@db:5432/audio", "s3cr3t", "postgresql://audio:s3cr3t@db:5432/audio"),
        ("postgresql://audio@db/audio", "p@ss/w:rd", "postgresql://audio:p%40ss%2Fw%3Ard@db/audio"),
        ("postgresql://audio:old@db/audio", "new", "postgresql://audio:new@db/audio"),  # the password wins
        ("postgresql://audio:kept@db/audio", "", "postgresql://audio:kept@db/audio"),
        ("sqlite:////data/state/pipeline.db", "unused", "sqlite:////data/state/pipeline.db"),
        ("", "unused", ""),
    ],
)
def test_with_password(url: str, password: str, joined: str) -> None:
    assert with_password(url, password) == joined


def test_a_split_url_joins_again_and_redacts_as_before() -> None:
    url = "postgresql://audio:p%40ss@db:5432/audio"
    assert with_password(*split_password(url)) == url
    assert redact(with_password(*split_password(url))) == "postgresql://audio:***@db:5432/audio"
