"""What was measured on the audio as received (before downmix and resampling), as attributes.

The decoder pushes every block at the original rate and channel count through `ReceivedMeters`
(levels, phase, spectrum, loudness); `ReceivedSignal` is the outcome. Two decisions follow from it here:
which channel the analysis form is made from when the downmix cancels (`analysis_channel`), and
what a file is whose content lies entirely above the analysis form's band (`out_of_band_content`),
which the classifier, fed that form, cannot hear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio_pipeline import attributes as attr
from audio_pipeline.level_meter import ChannelLevels, LevelMeter
from audio_pipeline.levels import Levels, measure
from audio_pipeline.loudness_meter import Loudness, LoudnessMeter
from audio_pipeline.phase_meter import Phase, PhaseMeter
from audio_pipeline.spectrum_meter import Spectrum, SpectrumMeter

DOWNMIX = "downmix"  # audio.analysis.source when the analysis form is the mean of all channels
SILENT_FILE_RATIO = 0.9  # a file is silent when at least this share of its 20 ms frames is
TONAL_SHARE = 0.5  # out-of-band content is a tone when at least this share of its power is at a few peaks
OUT_OF_BAND_CLASSES = ("tone", "noise")
_SLICE_FRAMES = 1 << 16  # bounds the float64 temporaries per block


@dataclass(frozen=True)
class ReceivedSignal:
    levels: Levels
    channels: tuple[ChannelLevels, ...]
    phase: Phase
    spectrum: Spectrum
    loudness: Loudness

    def loudest_channel(self) -> int:
        """0-based index of the channel with the highest RMS (the first of equals)."""
        return max(range(len(self.channels)), key=lambda i: (self.channels[i].rms_dbfs, -i))

    def to_attributes(self) -> dict[str, str]:
        found = self.levels.to_attributes() | {
            attr.BANDWIDTH_HZ: str(round(self.spectrum.bandwidth_hz)),
            attr.PHASE_CORRELATION: f"{self.phase.correlation:.3f}",
            attr.DOWNMIX_LOSS_DB: f"{self.phase.downmix_loss_db:.2f}",
            attr.MONO_COMPATIBLE: str(self.phase.mono_compatible).lower(),
        }
        for number, channel in enumerate(self.channels, start=1):
            found[attr.channel_peak_dbfs(number)] = f"{channel.peak_dbfs:.2f}"
            found[attr.channel_rms_dbfs(number)] = f"{channel.rms_dbfs:.2f}"
        return found | self.loudness.to_attributes()


class ReceivedMeters:
    """All meters of the received signal, fed (frames, channels) float32 blocks at the original rate."""

    def __init__(self, rate: int, channels: int) -> None:
        self.level = LevelMeter(rate, channels)
        self.phase = PhaseMeter(channels)
        self.spectrum = SpectrumMeter(rate, channels)
        self.loudness = LoudnessMeter(rate, channels)

    def push(self, block: np.ndarray) -> None:
        for start in range(0, block.shape[0], _SLICE_FRAMES):
            # Planar (one contiguous row per channel): per-channel sums run along memory, not across it.
            planar = np.ascontiguousarray(block[start : start + _SLICE_FRAMES].T, dtype=np.float64)
            self.level.push(planar)
            self.phase.push(planar)
            self.spectrum.push(planar)
            self.loudness.push(planar)

    def result(self) -> ReceivedSignal:
        return ReceivedSignal(
            self.level.levels(),
            self.level.channels(),
            self.phase.phase(),
            self.spectrum.spectrum(),
            self.loudness.loudness(),
        )


def analysis_channel(received: ReceivedSignal) -> int | None:
    """The channel to make the analysis form from, or None for the downmix: a downmix that is not
    mono compatible would cancel what is there, so the loudest channel stands in for it."""
    if len(received.channels) < 2 or received.phase.mono_compatible:
        return None
    return received.loudest_channel()


def analysis_source(channel: int | None) -> str:
    """The `audio.analysis.source` value: "downmix", or "channel N" (1-based)."""
    return DOWNMIX if channel is None else f"channel {channel + 1}"


def out_of_band_content(received: ReceivedSignal, analysis_samples: np.ndarray, analysis_rate: int) -> str:
    """ "tone" or "noise" when the received audio has content but the analysis form is silent (all of
    it lies above the analysis band), else "" (the classifier can hear the file)."""
    if received.levels.silence_ratio >= SILENT_FILE_RATIO or received.spectrum.bandwidth_hz <= analysis_rate / 2:
        return ""  # silent as received, or nothing above the analysis band: no need to look at the form
    if measure(analysis_samples, analysis_rate).silence_ratio < SILENT_FILE_RATIO:
        return ""
    return "tone" if received.spectrum.tonal_share >= TONAL_SHARE else "noise"
