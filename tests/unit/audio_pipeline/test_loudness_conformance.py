"""EBU Tech 3341 and Tech 3342: every case synthesised from its published definition reads within tolerance."""

from __future__ import annotations

import pytest
from audio_pipeline import loudness_conformance


@pytest.fixture(scope="module")
def outcomes() -> dict[str, loudness_conformance.Outcome]:
    return {outcome.case.name: outcome for outcome in loudness_conformance.run()}


@pytest.mark.parametrize("name", [case.name for case in loudness_conformance.CASES])
def test_case_reads_within_its_tolerance(outcomes: dict[str, loudness_conformance.Outcome], name: str) -> None:
    outcome = outcomes[name]
    assert outcome.passed, (name, outcome.case.expected, outcome.measured, outcome.case.tolerance)


def test_the_table_lists_every_case(outcomes: dict[str, loudness_conformance.Outcome]) -> None:
    printed = loudness_conformance.table(list(outcomes.values())).splitlines()
    assert printed[0].split() == ["case", "signal", "expected", "measured", "tolerance", "pass"]
    assert len(printed) == len(loudness_conformance.CASES) + 2
    assert printed[-1] == f"{len(outcomes)} of {len(outcomes)} cases pass"


def test_the_tolerances_are_asymmetric_for_true_peak() -> None:
    case = next(case for case in loudness_conformance.CASES if case.name == "3341-15")
    assert case.tolerance == "+0.2/−0.4" and case.passes(-5.8) and case.passes(-6.4) and not case.passes(-5.79)
