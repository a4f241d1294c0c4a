"""Decode untrusted audio bytes into mono samples at one rate: the source of the analysis form.

The steps, one module each: `sniffing` names the format from the leading bytes (refusing what is
not audio); `structure` checks the container for truncation and absurd headers where libsndfile
would not notice; then `soundfile_backend` (libsndfile, in-process) or `ffmpeg_backend` (a
subprocess after ffprobe) decodes in blocks into `mono_sink`, which measures the audio as received
(`received_signal`), downmixes and resamples with bounded memory. When the measured downmix would
cancel (channels in antiphase), a second pass makes the analysis form from the loudest channel. The
analysis-form WAV written from the result is `analysis_wav`.

Every playable file is decoded: when libsndfile itself refuses a file of its formats that passed
sniffing and the structure checks (or would read only the first link of a chained Ogg stream),
ffmpeg decodes it instead, and `DecodedAudio.decoder_fallback` says why; what ffmpeg finds corrupt
too stays corrupt. Our own checks (truncation, header bounds, sample values, the duration cap) are
final and never fall back. Headerless telephony files, named only by their extension, are `headerless`.
"""

from __future__ import annotations

import os
from dataclasses import replace

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.ffmpeg_backend import FORMATS as FFMPEG_FORMATS
from audio_pipeline.decoding.ffmpeg_backend import decode_ffmpeg
from audio_pipeline.decoding.headerless import FORMATS as HEADERLESS_FORMATS
from audio_pipeline.decoding.headerless import decode_headerless
from audio_pipeline.decoding.options import DecodeOptions
from audio_pipeline.decoding.sniffing import sniff_format
from audio_pipeline.decoding.soundfile_backend import FORMATS as SOUNDFILE_FORMATS
from audio_pipeline.decoding.soundfile_backend import decode_soundfile, reads_completely, refused_by_libsndfile
from audio_pipeline.decoding.structure import check_structure
from audio_pipeline.errors import CorruptAudioError, DecoderUnavailableError, InvalidHeaderError, NotAudioError
from audio_pipeline.limits import MAX_CHANNELS, MAX_SAMPLE_RATE
from audio_pipeline.received_signal import analysis_channel

__all__ = [
    "DEFAULT_TARGET_RATE",
    "FFMPEG_FORMATS",
    "HEADERLESS_FORMATS",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "SOUNDFILE_FORMATS",
    "DecodedAudio",
    "decode",
    "sniff_format",
]

DEFAULT_TARGET_RATE = 16_000
_MAX_DURATION_CAP_S = 1e7  # keeps frame arithmetic finite when callers pass inf


def decode(
    data: bytes,
    *,
    target_rate: int | None = DEFAULT_TARGET_RATE,
    max_duration_s: float = 3600.0,
    timeout_s: float = 600.0,
    tmp_dir: str | os.PathLike[str] | None = None,
    filename: str | None = None,
) -> DecodedAudio:
    """Decode `data` to mono float32 at `target_rate` (None keeps the original rate).

    Raises an `AudioPipelineError` subclass for anything that is not clean, complete audio; a decode
    that outlives `timeout_s` (ffmpeg path only) raises `DecodeTimeoutError`. `tmp_dir` is where
    the ffmpeg path spills the input so that ffprobe/ffmpeg can seek in it. `filename` (the name
    the file arrived with) matters only for input with no signature at all: its extension may name a
    headerless telephony format (.gsm, .ulaw, .mu, .alaw, .sln).
    """
    if target_rate is not None and not 0 < target_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"target_rate must be in 1..{MAX_SAMPLE_RATE}, got {target_rate}")
    if not max_duration_s > 0:
        raise ValueError(f"max_duration_s must be positive, got {max_duration_s}")
    max_duration_s = min(float(max_duration_s), _MAX_DURATION_CAP_S)
    if not isinstance(data, bytes):
        data = bytes(data)
    fmt = sniff_format(data, filename)
    options = DecodeOptions(target_rate, max_duration_s, timeout_s, tmp_dir)
    decoded = _decode_as(fmt, data, options)
    channel = analysis_channel(decoded.received)
    if channel is None:
        return decoded
    # The downmix cancels (antiphase): a second pass makes the analysis form from the loudest channel.
    return _decode_as(fmt, data, replace(options, channel=channel))


def _decode_as(fmt: str, data: bytes, options: DecodeOptions) -> DecodedAudio:
    """One decode of `data`, sniffed as `fmt`, by the back end for it (libsndfile, else ffmpeg)."""
    if fmt in HEADERLESS_FORMATS:
        return decode_headerless(data, fmt, options)
    if fmt not in SOUNDFILE_FORMATS:
        return decode_ffmpeg(data, fmt, options)
    check_structure(data, fmt)
    if reads_completely(data, fmt):
        try:
            return decode_soundfile(data, fmt, options)
        except CorruptAudioError as exc:
            if not refused_by_libsndfile(exc):
                raise
            refusal: CorruptAudioError = exc
    else:
        refusal = CorruptAudioError(
            f"{fmt} is a chained Ogg stream, of which libsndfile would decode the first link only"
        )
    return _ffmpeg_fallback(data, fmt, refusal, options)


def _ffmpeg_fallback(data: bytes, fmt: str, refusal: CorruptAudioError, options: DecodeOptions) -> DecodedAudio:
    """ffmpeg's decode of a libsndfile format libsndfile refused; corrupt if ffmpeg cannot decode it cleanly."""
    try:
        decoded = decode_ffmpeg(data, fmt, options)
    except DecoderUnavailableError:
        raise refusal from None  # without ffmpeg, libsndfile's verdict stands
    except (CorruptAudioError, NotAudioError, InvalidHeaderError) as exc:
        raise CorruptAudioError(f"{refusal}; ffmpeg could not decode it either: {exc}") from exc
    return replace(decoded, decoder_fallback=f"libsndfile: {refusal}")
