"""The alerting rules pass promtool check and their promtool rule unit tests."""

from __future__ import annotations

import shutil

import pytest

from pipelinectl.services import prometheus as prom
from pipelinectl.settings import REPO_ROOT

REPO = REPO_ROOT


RULE_FILES = sorted((REPO / "prometheus" / "rules").glob("*.yml"))


RULE_TESTS = sorted((REPO / "prometheus" / "tests").glob("*.yml"))


needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs Debian package prometheus")


def promtool_ok(*args: str) -> None:
    result = prom.promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_rules_pass_promtool_check() -> None:
    assert RULE_FILES
    promtool_ok("check", "rules", *map(str, RULE_FILES))


@needs_promtool
def test_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    promtool_ok("test", "rules", *map(str, RULE_TESTS))
