"""What decoding produces: the mono samples plus the facts about the original that become attributes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio_pipeline import attributes as attr
from audio_pipeline.received_signal import ReceivedSignal


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    """The analysis form plus the facts about the original that become FlowFile attributes."""

    samples: np.ndarray  # 1-D float32, mono, at `sample_rate`
    sample_rate: int
    format: str
    codec: str
    original_sample_rate: int
    original_channels: int
    original_frames: int
    duration_s: float  # of the original: original_frames / original_sample_rate
    sha256: str  # of the input bytes
    received: ReceivedSignal  # levels, phase and spectrum of the original, before downmix and resampling
    analysis_source: str  # "downmix" or "channel N": what `samples` were made from
    decoder: str = ""  # "libsndfile" or "ffmpeg": the back end that decoded the input (set by it)
    decoder_fallback: str = ""  # why ffmpeg decoded a libsndfile format (libsndfile refused it), else ""

    @property
    def clipping_ratio(self) -> float:
        """Fraction of original samples (all channels) with |x| >= CLIP_THRESHOLD."""
        return self.received.levels.clipping_ratio

    def to_attributes(self) -> dict[str, str]:
        """Attribute values for the decode step, keyed by the names in `attributes`."""
        return {
            attr.FORMAT: self.format,
            attr.ORIGINAL_SAMPLE_RATE: str(self.original_sample_rate),
            attr.ORIGINAL_CHANNELS: str(self.original_channels),
            attr.DURATION_SECONDS: f"{self.duration_s:.3f}",
            attr.SAMPLE_RATE: str(self.sample_rate),
            attr.CHANNELS: "1",
            attr.SHA256: self.sha256,
            attr.ANALYSIS_SOURCE: self.analysis_source,
            attr.DECODER: self.decoder,
            attr.DECODER_FALLBACK: self.decoder_fallback,
        } | self.received.to_attributes()
