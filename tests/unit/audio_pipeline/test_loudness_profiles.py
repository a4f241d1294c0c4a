"""Loudness profiles: compliance is |integrated − target| ≤ tolerance and true peak ≤ the maximum."""

from __future__ import annotations

import pytest
from audio_pipeline import attributes as attr
from audio_pipeline import loudness_profiles as profiles
from audio_pipeline.loudness_meter import FLOOR_LUFS, Loudness


def _loudness(integrated: float, true_peak: float, measured: bool = True) -> Loudness:
    return Loudness(integrated, 3.0, integrated + 2, integrated + 1, true_peak, (true_peak,), measured)


def test_the_published_profiles() -> None:
    assert profiles.EBU_R128 == profiles.LoudnessProfile("ebu-r128", -23.0, 0.5, -1.0)
    assert profiles.ATSC_A85 == profiles.LoudnessProfile("atsc-a85", -24.0, 2.0, -2.0)
    assert profiles.STREAMING_14 == profiles.LoudnessProfile("streaming-14", -14.0, 1.0, -1.0)
    assert profiles.DEFAULT is profiles.EBU_R128
    assert profiles.NAMES == ("ebu-r128", "atsc-a85", "streaming-14", "custom")


@pytest.mark.parametrize(
    ("integrated", "true_peak", "compliant", "gain"),
    [
        (-23.0, -1.0, True, 0.0),  # on target, true peak at the limit
        (-23.5, -3.0, True, 0.5),  # at the tolerance
        (-22.5, -3.0, True, -0.5),
        (-23.51, -3.0, False, 0.51),
        (-23.0, -0.99, False, 0.0),  # too high a true peak
        (-16.0, -1.5, False, -7.0),
    ],
)
def test_ebu_r128(integrated: float, true_peak: float, compliant: bool, gain: float) -> None:
    found = profiles.EBU_R128.assess(_loudness(integrated, true_peak))
    assert found.compliant is compliant and found.gain_db == pytest.approx(gain)
    assert found.to_attributes() == {
        attr.LOUDNESS_PROFILE: "ebu-r128",
        attr.LOUDNESS_COMPLIANT: str(compliant).lower(),
        attr.LOUDNESS_GAIN_DB: f"{gain:.2f}",
    }


def test_atsc_allows_2_db_and_streaming_1_lu() -> None:
    assert profiles.ATSC_A85.assess(_loudness(-22.0, -2.0)).compliant
    assert not profiles.ATSC_A85.assess(_loudness(-22.0, -1.9)).compliant
    assert profiles.STREAMING_14.assess(_loudness(-15.0, -1.0)).compliant
    assert not profiles.STREAMING_14.assess(_loudness(-12.9, -2.0)).compliant


def test_unmeasured_loudness_never_complies_and_has_no_gain() -> None:
    found = profiles.EBU_R128.assess(_loudness(FLOOR_LUFS, -120.0, measured=False))
    assert (found.compliant, found.gain_db) == (False, None)
    assert found.to_attributes()[attr.LOUDNESS_GAIN_DB] == ""


def test_custom_profiles_are_checked_against_their_ranges() -> None:
    assert profiles.custom(-16.0, -1.5, 1.0) == profiles.LoudnessProfile("custom", -16.0, 1.0, -1.5)
    for bad in [(-70.0, -1.0, 1.0), (1.0, -1.0, 1.0), (-16.0, 3.5, 1.0), (-16.0, -1.0, -0.1), (-16.0, -1.0, 11.0)]:
        with pytest.raises(ValueError, match="must be from"):
            profiles.custom(*bad)


def test_named_profiles() -> None:
    assert profiles.named("atsc-a85") is profiles.ATSC_A85
    with pytest.raises(ValueError, match="unknown loudness profile 'r128'"):
        profiles.named("r128")
