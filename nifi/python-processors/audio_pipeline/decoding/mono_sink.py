"""The common end of both decoder back ends: blocks at the original rate in, mono at the target rate out.

Memory stays bounded on long files: both back ends deliver blocks at the original rate and channel
count; each block is checked (NaN/Inf, absurd magnitudes, the duration cap), measured as received
(`received_signal`: levels per channel, phase, spectrum), made mono (the downmix, or one channel
when asked) and fed through one ``soxr.ResampleStream``. Only the output (1 h at 16 kHz = 230 MB) is
ever held in full. ffmpeg is asked for the original rate and channels on purpose, so that
measurement, downmix and resampling are identical for both back ends.
"""

from __future__ import annotations

import hashlib

import numpy as np
import soxr

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.options import DecodeOptions
from audio_pipeline.errors import CorruptAudioError, InvalidHeaderError, NonFiniteSamplesError, TooLongError
from audio_pipeline.received_signal import ReceivedMeters, analysis_source

RESAMPLE_QUALITY = "HQ"
# Float files may exceed full scale a little; 1e6 (+120 dB) is garbage and would overflow sums.
MAX_ABS_SAMPLE = 1e6
_BLOCK_BYTES = 4 << 20  # decoded bytes per block at the original rate and channel count
# libebur128, the loudness meter of every decode, refuses rates below 16 Hz (pyebur128 raises
# MemoryError). No audio is sampled that slowly, so such a header is absurd; the limits allow 1 Hz.
MIN_MEASURED_RATE = 16


def block_frames(channels: int) -> int:
    """Frames per block a back end should deliver: about 4 MB of float32."""
    return max(1024, _BLOCK_BYTES // (4 * channels))


class MonoSink:
    """Takes (frames, channels) blocks at the original rate; keeps only the mono output at target."""

    def __init__(self, in_rate: int, channels: int, expected_frames: int, options: DecodeOptions) -> None:
        if in_rate < MIN_MEASURED_RATE:
            raise InvalidHeaderError(
                f"audio declares a sample rate of {in_rate} Hz, below the {MIN_MEASURED_RATE} Hz it can be measured at"
            )
        channel = options.channel
        if channel is not None and not 0 <= channel < channels:
            raise ValueError(f"channel must be in 0..{channels - 1}, got {channel}")
        self.channel = channel  # None: the analysis form is the downmix; else that channel alone
        self.in_rate = in_rate
        self.channels = channels
        self.out_rate = out_rate = options.out_rate(in_rate)
        self.max_frames = max_frames = options.max_frames(in_rate)
        self.max_duration_s = options.max_duration_s
        self.frames = 0
        self.meters = ReceivedMeters(in_rate, channels)
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
        del magnitude
        self.meters.push(block)
        if self.channels == 1 or self.channel is not None:
            mono = np.ascontiguousarray(block[:, self.channel or 0])
        else:  # the mean of the channels, column by column: many times faster than mean(axis=1)
            mono = block[:, 0].copy()
            for channel in range(1, self.channels):
                mono += block[:, channel]
            mono *= np.float32(1.0 / self.channels)
        self._append(self._resampler.resample_chunk(mono) if self._resampler is not None else mono)

    def result(self, data: bytes, fmt: str, codec: str) -> DecodedAudio:
        """Flush the resampler and describe the decoded `data` (the input bytes, for the hash)."""
        samples = self._finish()
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
            received=self.meters.result(),
            analysis_source=analysis_source(self.channel),
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
