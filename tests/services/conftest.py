"""Fixtures shared by the tests against real services."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from support.monitoring_stack import temporary_stack

from pipelinectl.settings import Settings


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A private Pushgateway + Prometheus for the module's tests (skips without the Debian packages)."""
    if not (shutil.which("prometheus") and shutil.which("prometheus-pushgateway")):
        pytest.skip("needs Debian packages prometheus and prometheus-pushgateway")
    with temporary_stack(tmp_path_factory.mktemp("monitoring")) as settings:
        yield settings
