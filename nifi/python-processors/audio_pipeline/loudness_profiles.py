"""Loudness delivery profiles, and whether a file's measured loudness complies with one.

A file complies when |integrated − target| ≤ tolerance and its true peak ≤ the maximum; its gain is
target − integrated, the gain that brings it to the target (the true peak then moves by the same gain).
A file whose loudness could not be measured (silence, shorter than 400 ms: `Loudness.measured`) does not
comply, and its gain is empty: no gain brings silence to a target.

The profiles and where their figures come from:

* ``ebu-r128``: EBU R 128 (2020): programme loudness normalised to −23.0 LUFS, a permitted deviation of
  ±0.5 LU "in general" (±1.0 LU only where exact normalisation is not achievable, such as live
  programmes; files arriving here are not live, so ±0.5 LU), maximum true peak −1 dBTP.
* ``atsc-a85``: ATSC A/85:2013: −24 LKFS target (LKFS and LUFS are the same unit), a ±2 dB tolerance
  around it, and −2 dBTP maximum true peak.
* ``streaming-14``: the −14 LUFS integrated loudness and −1 dBTP true-peak ceiling that the large
  music/video streaming platforms publish for their normalisation. They publish no tolerance (they
  normalise themselves); ±1 LU is used, R 128's figure for programmes that cannot be normalised exactly,
  and about the variation between the platforms' own meters.
* ``custom``: target, tolerance and maximum true peak given (DecodeAudio's Custom properties), within
  CUSTOM_RANGES.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio_pipeline import attributes as attr
from audio_pipeline.loudness_meter import Loudness

EBU_R128_NAME, ATSC_A85_NAME, STREAMING_14_NAME, CUSTOM = attr.LOUDNESS_PROFILES
# (lowest, highest) accepted for a custom profile: a target above the absolute gate and at most full scale,
# a ceiling from −20 dBTP to +3 dBTP (true peak may exceed 0 dBFS between samples), a tolerance of 10 LU at most.
CUSTOM_RANGES = {
    "target_lufs": (-69.0, 0.0),
    "max_true_peak_dbtp": (-20.0, 3.0),
    "tolerance_lu": (0.0, 10.0),
}


@dataclass(frozen=True)
class LoudnessProfile:
    name: str
    target_lufs: float
    tolerance_lu: float
    max_true_peak_dbtp: float

    def assess(self, loudness: Loudness) -> Compliance:
        """The compliance of `loudness` with this profile."""
        if not loudness.measured:
            return Compliance(self.name, False, None)
        gain = self.target_lufs - loudness.integrated_lufs
        # Rounded as the attributes show them, so that a file reported at the limit complies.
        compliant = round(abs(gain), 2) <= self.tolerance_lu and (
            round(loudness.true_peak_dbtp, 2) <= self.max_true_peak_dbtp
        )
        return Compliance(self.name, compliant, gain)


@dataclass(frozen=True)
class Compliance:
    profile: str
    compliant: bool
    gain_db: float | None  # None when the loudness could not be measured

    def to_attributes(self) -> dict[str, str]:
        return {
            attr.LOUDNESS_PROFILE: self.profile,
            attr.LOUDNESS_COMPLIANT: str(self.compliant).lower(),
            attr.LOUDNESS_GAIN_DB: "" if self.gain_db is None else f"{self.gain_db:.2f}",
        }


EBU_R128 = LoudnessProfile(EBU_R128_NAME, target_lufs=-23.0, tolerance_lu=0.5, max_true_peak_dbtp=-1.0)
ATSC_A85 = LoudnessProfile(ATSC_A85_NAME, target_lufs=-24.0, tolerance_lu=2.0, max_true_peak_dbtp=-2.0)
STREAMING_14 = LoudnessProfile(STREAMING_14_NAME, target_lufs=-14.0, tolerance_lu=1.0, max_true_peak_dbtp=-1.0)
PROFILES = {profile.name: profile for profile in (EBU_R128, ATSC_A85, STREAMING_14)}
DEFAULT = EBU_R128
NAMES = (*PROFILES, CUSTOM)


def custom(target_lufs: float, max_true_peak_dbtp: float, tolerance_lu: float) -> LoudnessProfile:
    """A custom profile; ValueError names the first value outside CUSTOM_RANGES."""
    given = {"target_lufs": target_lufs, "max_true_peak_dbtp": max_true_peak_dbtp, "tolerance_lu": tolerance_lu}
    for key, value in given.items():
        low, high = CUSTOM_RANGES[key]
        if not low <= value <= high:
            raise ValueError(f"{key} must be from {low:g} to {high:g}, got {value:g}")
    return LoudnessProfile(CUSTOM, target_lufs, tolerance_lu, max_true_peak_dbtp)


def named(name: str) -> LoudnessProfile:
    """One of PROFILES by name (not `custom`, which needs its values: see `custom`)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown loudness profile {name!r}; known: {', '.join(NAMES)}") from None
