"""The common end of both decoder back ends: blocks at the original rate in, mono at the target rate out.

Memory stays bounded on long files: both back ends deliver blocks at the original rate and channel
count; each block is checked (NaN/Inf, absurd magnitudes, the duration cap), its clipping counted,
averaged to mono and fed through one ``soxr.ResampleStream``. Only the output (1 h at 16 kHz =
230 MB) is ever held in full. ffmpeg is asked for the original rate and channels on purpose, so
that downmix, resampling and the clipping count are identical for both back ends.

Clipping is counted here, on the original-scale samples of every channel, because resampling
(low-pass ringing) and the mono downmix move peaks; `DecodedAudio.clipping_ratio` carries the result.
"""

from __future__ import annotations

import hashlib

import numpy as np
import soxr

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.errors import CorruptAudioError, NonFiniteSamplesError, TooLongError
from audio_pipeline.levels import CLIP_THRESHOLD

RESAMPLE_QUALITY = "HQ"
# Float files may exceed full scale a little; 1e6 (+120 dB) is garbage and would overflow sums.
MAX_ABS_SAMPLE = 1e6
_BLOCK_BYTES = 4 << 20  # decoded bytes per block at the original rate and channel count


def block_frames(channels: int) -> int:
    """Frames per block a back end should deliver: about 4 MB of float32."""
    return max(1024, _BLOCK_BYTES // (4 * channels))


class MonoSink:
    """Takes (frames, channels) blocks at the original rate; keeps only the mono output at target."""

    def __init__(
        self,
        in_rate: int,
        channels: int,
        out_rate: int,
        max_frames: int,
        max_duration_s: float,
        expected_frames: int,
    ) -> None:
        self.in_rate = in_rate
        self.channels = channels
        self.out_rate = out_rate
        self.max_frames = max_frames
        self.max_duration_s = max_duration_s
        self.frames = 0
        self.clipped = 0
        self._resampler = (
            soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY)
            if in_rate != out_rate
            else None
        )
        expected = min(max(expected_frames, in_rate), max_frames)  # at least 1 s, at most the cap
        self._out = np.empty(int(expected * out_rate / in_rate) + 4096, dtype=np.float32)
        self._n = 0

    def push(self, block: np.ndarray) -> None:
        if block.shape[0] == 0:
            return
        magnitude = np.abs(block)
        peak = float(magnitude.max())  # NaN or inf anywhere makes this non-finite
        if not np.isfinite(peak):
            bad = self.frames + int(np.argmin(np.isfinite(block).all(axis=1)))
            raise NonFiniteSamplesError(f"sample frame {bad} (t = {bad / self.in_rate:.3f} s) is NaN or infinite")
        if peak > MAX_ABS_SAMPLE:
            raise CorruptAudioError(
                f"a sample has magnitude {peak:.3g}, beyond any plausible level (limit {MAX_ABS_SAMPLE:g})"
            )
        self.frames += block.shape[0]
        if self.frames > self.max_frames:
            raise TooLongError(f"audio is longer than the maximum of {self.max_duration_s:g} s")
        self.clipped += int(np.count_nonzero(magnitude >= CLIP_THRESHOLD))
        del magnitude
        if self.channels == 1:
            mono = np.ascontiguousarray(block[:, 0])
        else:
            mono = block.mean(axis=1, dtype=np.float32)
        self._append(self._resampler.resample_chunk(mono) if self._resampler is not None else mono)

    def result(self, data: bytes, fmt: str, codec: str) -> DecodedAudio:
        """Flush the resampler and describe the decoded `data` (the input bytes, for the hash)."""
        samples = self._finish()
        total = self.frames * self.channels
        return DecodedAudio(
            samples=samples,
            sample_rate=self.out_rate,
            format=fmt,
            codec=codec,
            original_sample_rate=self.in_rate,
            original_channels=self.channels,
            original_frames=self.frames,
            duration_s=self.frames / self.in_rate,
            sha256=hashlib.sha256(data).hexdigest(),
            clipping_ratio=self.clipped / total if total else 0.0,
        )

    def _finish(self) -> np.ndarray:
        if self._resampler is not None:
            self._append(self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        out = self._out
        out.resize(self._n, refcheck=False)  # realloc in place: no second full-size copy
        return out

    def _append(self, chunk: np.ndarray) -> None:
        n = chunk.shape[0]
        if self._n + n > self._out.shape[0]:
            self._out.resize(max(self._n + n, int(self._out.shape[0] * 1.5)), refcheck=False)
        self._out[self._n : self._n + n] = chunk
        self._n += n
