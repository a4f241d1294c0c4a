"""bench.instance: nifi.properties overrides for the private instance."""

from __future__ import annotations

import pytest

from bench.instance import parse_properties


def test_parse_properties() -> None:
    assert parse_properties(["nifi.content.repository.archive.enabled=false", "nifi.a.b = 90%"]) == {
        "nifi.content.repository.archive.enabled": "false",
        "nifi.a.b": "90%",
    }
    with pytest.raises(ValueError):
        parse_properties(["archive=false"])
    with pytest.raises(ValueError):
        parse_properties(["nifi.x"])
