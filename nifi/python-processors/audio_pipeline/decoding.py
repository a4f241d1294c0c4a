"""Decode untrusted audio bytes into the pipeline's analysis form: mono samples at one rate.

Why it looks like this:

* Input comes from the outside world, so nothing is handed to a decoder before its container or codec
  signature has been recognised from the leading bytes (`sniff_format`). Permissive decoders (ffmpeg,
  mpg123) happily find "frames" in random bytes; a signature plus a chain of consistent frame headers
  is much harder to hit by accident.
* WAV/RF64/W64/AIFF/CAF/AU, FLAC, Ogg Vorbis, Ogg Opus and MPEG audio (MP3) go through soundfile
  (libsndfile); everything else we recognise (MP4/M4A, ADTS AAC, Matroska/WebM, ASF/WMA, AMR, Ogg
  FLAC/Speex, APE, WavPack) through an ``ffmpeg`` subprocess, after ``ffprobe`` has confirmed an audio
  stream with sane parameters.
* libsndfile silently shortens a truncated WAV or Ogg file and pads a truncated MP3 with silence, so
  the container structure is checked here first (declared data size, Ogg page chain, MPEG frame chain).
* Memory stays bounded on long files: both back ends deliver blocks at the original rate and channel
  count; each block is checked (NaN/Inf, clipping), averaged to mono and fed through one
  ``soxr.ResampleStream``. Only the output (1 h at 16 kHz = 230 MB) is ever held in full.
  ffmpeg is asked for the original rate and channels on purpose, so that downmix, resampling and the
  clipping count are identical for both back ends.
* Clipping is counted here, on the original-scale samples of every channel, because resampling
  (low-pass ringing) and the mono downmix move peaks; `DecodedAudio.clipping_ratio` carries the result.

Format labels (`DecodedAudio.format`): wav, w64, aiff, caf, au, flac, ogg (Vorbis), opus, mp3, mp2,
mp1, m4a, mp4, 3gp, mov, aac, webm, mka, wma, amr, ogg-flac, speex, ape, wavpack.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from audio_pipeline import attributes as attr
from audio_pipeline.errors import (
    AudioPipelineError,
    CorruptAudioError,
    EmptyInputError,
    InvalidHeaderError,
    NonFiniteSamplesError,
    NotAudioError,
    TooLongError,
)
from audio_pipeline.levels import CLIP_THRESHOLD

MAX_SAMPLE_RATE = 384_000
MAX_CHANNELS = 64
DEFAULT_TARGET_RATE = 16_000
RESAMPLE_QUALITY = "HQ"
# Float files may exceed full scale a little; 1e6 (+120 dB) is garbage and would overflow sums.
MAX_ABS_SAMPLE = 1e6

# Formats handled by libsndfile; the rest of the recognised formats go to ffmpeg.
SOUNDFILE_FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac", "ogg", "opus", "mp3", "mp2", "mp1"})
FFMPEG_FORMATS = frozenset(
    {"m4a", "mp4", "3gp", "mov", "aac", "webm", "mka", "wma", "amr", "ogg-flac", "speex", "ape", "wavpack"}
)
# Formats whose header states the exact frame count, so an over-long file is refused before decoding.
_EXACT_LENGTH_FORMATS = frozenset({"wav", "w64", "aiff", "caf", "au", "flac"})
# ffprobe `format_name` must contain one of these for the sniffed format (guards against a mismatch
# between what the leading bytes say and what ffmpeg actually parses).
_FFPROBE_FORMAT_NAMES: dict[str, tuple[str, ...]] = {
    "m4a": ("mp4", "mov"),
    "mp4": ("mp4", "mov"),
    "3gp": ("3gp", "mov"),
    "mov": ("mov",),
    "aac": ("aac",),
    "webm": ("matroska", "webm"),
    "mka": ("matroska", "webm"),
    "wma": ("asf",),
    "amr": ("amr",),
    "ogg-flac": ("ogg",),
    "speex": ("ogg",),
    "ape": ("ape",),
    "wavpack": ("wv",),
}

_MAX_DURATION_CAP_S = 1e7  # keeps frame arithmetic finite when callers pass inf
_BLOCK_BYTES = 4 << 20  # decoded bytes per block at the original rate and channel count
_PCM_SCALE = np.float32(32768)  # 16-bit PCM <-> float, as libsndfile scales it
_PCM_BLOCK = 1 << 20  # samples converted at a time in to_wav_bytes
_ID3_MAX_SKIPS = 4
_MIN_CHAINED_FRAMES = 3


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
    clipping_ratio: float  # fraction of original samples (all channels) with |x| >= CLIP_THRESHOLD

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
        }


# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def decode(
    data: bytes,
    *,
    target_rate: int | None = DEFAULT_TARGET_RATE,
    max_duration_s: float = 3600.0,
    timeout_s: float = 600.0,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> DecodedAudio:
    """Decode `data` to mono float32 at `target_rate` (None keeps the original rate).

    Raises an `AudioPipelineError` subclass for anything that is not clean, complete audio; a decode
    that outlives `timeout_s` (ffmpeg path only) raises code ``decode_timeout``. `tmp_dir` is where
    the ffmpeg path spills the input so that ffprobe/ffmpeg can seek in it.
    """
    if target_rate is not None and not 0 < target_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"target_rate must be in 1..{MAX_SAMPLE_RATE}, got {target_rate}")
    if not max_duration_s > 0:
        raise ValueError(f"max_duration_s must be positive, got {max_duration_s}")
    max_duration_s = min(float(max_duration_s), _MAX_DURATION_CAP_S)
    if not isinstance(data, bytes):
        data = bytes(data)
    if len(data) == 0:
        raise EmptyInputError("input is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt in SOUNDFILE_FORMATS:
        _check_structure(data, fmt)
        decoded = _decode_soundfile(data, fmt, target_rate, max_duration_s)
    else:
        decoded = _decode_ffmpeg(data, fmt, target_rate, max_duration_s, timeout_s, tmp_dir)
    return decoded


def to_wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Encode mono float samples as a 16-bit PCM WAV: the FlowFile content between processors.

    16 bits, not float32: every processor that reads the content gets it through py4j as base64
    text, so the size of this form is most of what NiFi pays per file (docs/benchmark.md). 16-bit
    quantisation noise (-98 dBFS) is far below what PESQ, the fingerprints or the classifier react
    to, and input that was 16-bit at the target rate round-trips exactly (scale 32768, libsndfile's).
    Levels and clipping are measured before this, on the float samples. Converted in blocks, so
    memory stays at the output plus one block.
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected 1-D mono samples, got shape {x.shape}")
    if not 0 < rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"rate must be in 1..{MAX_SAMPLE_RATE}, got {rate}")
    data_size = x.size * 2
    out = io.BytesIO()
    out.write(
        b"".join(
            (
                b"RIFF",
                struct.pack("<I", 36 + data_size),
                b"WAVE",
                b"fmt ",
                struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16),
                b"data",
                struct.pack("<I", data_size),
            )
        )
    )
    for start in range(0, x.size, _PCM_BLOCK):
        block = np.multiply(x[start : start + _PCM_BLOCK], _PCM_SCALE, dtype=np.float32)
        np.rint(block, out=block)
        np.clip(block, -_PCM_SCALE, _PCM_SCALE - 1, out=block)
        out.write(block.astype("<i2").tobytes())
    return out.getvalue()


def is_analysis_form(data: bytes, decoded: DecodedAudio) -> bool:
    """True when `data` already is a mono 16-bit PCM WAV of exactly `decoded`'s samples at its rate.

    Then the input can stay the FlowFile content: `to_wav_bytes` would only rewrite the same samples,
    and every rewrite is one more trip of the whole content through py4j. Compared block by block
    (no second full copy), so any difference, extra channel or other layout answers False.
    """
    if decoded.format != "wav":
        return False
    try:
        layout = _pcm16_mono_wav_layout(data)
    except CorruptAudioError:
        return False
    if layout is None:
        return False
    rate, offset, count = layout
    if rate != decoded.sample_rate or count != decoded.samples.size:
        return False
    pcm = np.frombuffer(data, dtype="<i2", count=count, offset=offset)
    for start in range(0, count, _PCM_BLOCK):
        block = pcm[start : start + _PCM_BLOCK].astype(np.float32)
        block *= 1 / _PCM_SCALE
        if not np.array_equal(block, decoded.samples[start : start + _PCM_BLOCK]):
            return False
    return True


def read_analysis_wav(data: bytes, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Return (samples, rate) from analysis-form WAV content as float32 in [-1, 1).

    `max_seconds` keeps only the start, cut before the conversion (a step that looks at the first
    minutes of an hour-long file need not convert all of it). Falls back to soundfile (downmixed to
    mono float32) for any other WAV layout, so a processor still works if it is handed some other
    mono/stereo WAV.
    """
    if len(data) == 0:
        raise EmptyInputError("analysis content is empty (0 bytes)")
    fast = _read_pcm16_mono_wav(data, max_seconds)
    if fast is not None:
        return fast
    try:
        x, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorruptAudioError(f"analysis content is not a readable WAV: {exc}") from exc
    if max_seconds is not None:
        x = x[: int(max_seconds * rate)]
    mono = x[:, 0] if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(mono), int(rate)


# --------------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------------

_W64_RIFF_GUID = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_ASF_GUID = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"

_NON_AUDIO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows/DOS executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"#!", "a script"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MThd", "a MIDI file (note events, not sampled audio)"),
)


def sniff_format(data: bytes) -> str:
    """Name the audio container/codec from the leading bytes, or raise `NotAudioError`."""
    if len(data) == 0:
        raise EmptyInputError("input is empty (0 bytes)")
    offset = 0
    for _ in range(_ID3_MAX_SKIPS):
        if data[offset : offset + 3] != b"ID3":
            break
        offset = _skip_id3v2(data, offset)
    if offset:
        while offset < len(data) and data[offset] == 0:  # padding some taggers leave uncounted
            offset += 1
        if offset >= len(data):
            raise NotAudioError("only an ID3 tag, no audio frames after it")
    found = _sniff_at(data, offset)
    if found is not None:
        return found
    raise NotAudioError(_describe_non_audio(data))


def _sniff_at(data: bytes, offset: int) -> str | None:
    head = data[offset : offset + 64]
    if offset == 0:
        if head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE":
            return "wav"
        if head[:16] == _W64_RIFF_GUID:
            return "w64"
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return "aiff"
        if head[:4] == b"caff":
            return "caf"
        if head[:4] == b".snd":
            return "au"
        if head[:4] == b"OggS":
            return _sniff_ogg(data)
        if head[4:8] == b"ftyp":
            return _sniff_mp4_brand(head[8:12])
        if head[:16] == _ASF_GUID:
            return "wma"
        if head[:4] == _EBML_MAGIC:
            return "webm" if b"webm" in data[:64] else "mka"
        if head[:6] == b"#!AMR\n" or head[:9] == b"#!AMR-WB\n":
            return "amr"
        if head[:4] == b"MAC ":
            return "ape"
        if head[:4] == b"wvpk":
            return "wavpack"
    if head[:4] == b"fLaC":
        return "flac"
    if len(head) >= 4 and head[0] == 0xFF:
        mpeg = _mpeg_chain_format(data, offset)
        if mpeg is not None:
            return mpeg
        if _adts_chain_ok(data, offset):
            return "aac"
    return None


def _sniff_ogg(data: bytes) -> str:
    """Ogg is a container; the first packet of the first page names the codec."""
    if len(data) < 28:
        raise CorruptAudioError("Ogg stream is cut off inside its first page header")
    nsegs = data[26]
    body_start = 27 + nsegs
    packet = data[body_start : body_start + 16]
    if packet.startswith(b"\x01vorbis"):
        return "ogg"
    if packet.startswith(b"OpusHead"):
        return "opus"
    if packet.startswith(b"\x7fFLAC"):
        return "ogg-flac"
    if packet.startswith(b"Speex   "):
        return "speex"
    if len(packet) < 8:
        raise CorruptAudioError("Ogg stream is cut off inside its first page")
    raise NotAudioError("Ogg container without a supported audio codec (Vorbis, Opus, FLAC, Speex)")


def _sniff_mp4_brand(brand: bytes) -> str:
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return "m4a"
    if brand.startswith(b"3g"):
        return "3gp"
    if brand == b"qt  ":
        return "mov"
    return "mp4"


def _skip_id3v2(data: bytes, offset: int) -> int:
    """Offset just past an ID3v2 tag (syncsafe size, optional footer)."""
    header = data[offset : offset + 10]
    if len(header) < 10:
        raise NotAudioError("ID3 tag header is cut off; no audio after it")
    size_bytes = header[6:10]
    if any(b & 0x80 for b in size_bytes):
        raise NotAudioError("ID3 tag with an invalid size field")
    size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
    footer = 10 if header[5] & 0x10 else 0
    end = offset + 10 + size + footer
    if end >= len(data):
        raise CorruptAudioError("ID3 tag runs to (or past) the end of the data: no audio frames")
    return end


def _describe_non_audio(data: bytes) -> str:
    for magic, what in _NON_AUDIO_SIGNATURES:
        if data.startswith(magic):
            return f"input is {what}, not audio"
    if _looks_like_text(data[:8192]):
        return "input is text, not audio"
    return "no recognised audio container or codec signature in the leading bytes"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            return False
    printable = sum(1 for b in head if b >= 0x20 or b in (0x09, 0x0A, 0x0D))
    return printable >= 0.98 * len(head)


# MPEG audio frame headers (ISO 11172-3 / 13818-3). Index 0 is "free format", which we refuse.
_MPEG_BITRATES_KBPS: dict[tuple[int, int], tuple[int, ...]] = {
    # (version class: 1 = MPEG-1, 2 = MPEG-2/2.5; layer)
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES: dict[int, tuple[int, int, int]] = {
    3: (44100, 48000, 32000),  # MPEG-1
    2: (22050, 24000, 16000),  # MPEG-2
    0: (11025, 12000, 8000),  # MPEG-2.5
}


def _mpeg_header(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(frame length, layer, sample rate) of an MPEG audio frame header at `pos`, or None."""
    if pos + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version_bits = (b1 >> 3) & 3
    layer = 4 - ((b1 >> 1) & 3)  # bits 11 -> layer I, 01 -> layer III
    bitrate_idx = b2 >> 4
    rate_idx = (b2 >> 2) & 3
    if version_bits == 1 or layer == 4 or bitrate_idx in (0, 15) or rate_idx == 3 or (b3 & 3) == 2:
        return None
    version_class = 1 if version_bits == 3 else 2
    bitrate = _MPEG_BITRATES_KBPS[(version_class, layer)][bitrate_idx] * 1000
    rate = _MPEG_RATES[version_bits][rate_idx]
    padding = (b2 >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // rate + padding) * 4
    elif layer == 3 and version_class == 2:
        length = 72 * bitrate // rate + padding
    else:
        length = 144 * bitrate // rate + padding
    return length, layer, rate


def _mpeg_chain_format(data: bytes, offset: int) -> str | None:
    """'mp3'/'mp2'/'mp1' if consistent MPEG frames follow each other from `offset`."""
    first = _mpeg_header(data, offset)
    if first is None:
        return None
    _, layer, rate = first
    pos, count = offset, 0
    while count < _MIN_CHAINED_FRAMES:
        header = _mpeg_header(data, pos)
        if header is None:
            # A tiny file may end right after two complete frames.
            return _mpeg_label(layer) if pos == len(data) and count >= 2 else None
        length, this_layer, this_rate = header
        if this_layer != layer or this_rate != rate:
            return None
        pos += length
        count += 1
    return _mpeg_label(layer)


def _mpeg_label(layer: int) -> str:
    return {1: "mp1", 2: "mp2", 3: "mp3"}[layer]


def _adts_frame_length(data: bytes, pos: int) -> int | None:
    if pos + 7 > len(data):
        return None
    if data[pos] != 0xFF or (data[pos + 1] & 0xF6) != 0xF0:  # 12-bit sync, layer must be 00
        return None
    if (data[pos + 2] >> 2) & 0x0F > 12:  # sampling-frequency index
        return None
    length = ((data[pos + 3] & 0x03) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
    header_len = 7 if data[pos + 1] & 0x01 else 9
    return length if length > header_len else None


def _adts_chain_ok(data: bytes, offset: int) -> bool:
    pos = offset
    for count in range(_MIN_CHAINED_FRAMES):
        length = _adts_frame_length(data, pos)
        if length is None:
            return pos == len(data) and count >= 2
        pos += length
    return True


# --------------------------------------------------------------------------------------------------
# Structure checks (truncation and header sanity) before libsndfile sees the data
# --------------------------------------------------------------------------------------------------


def _check_structure(data: bytes, fmt: str) -> None:
    if fmt == "wav":
        _check_wav(data)
    elif fmt == "aiff":
        _check_aiff(data)
    elif fmt == "flac":
        _check_flac_streaminfo(data)
    elif fmt in ("ogg", "opus"):
        _check_ogg_pages(data)
    elif fmt in ("mp3", "mp2", "mp1"):
        _check_mpeg_frames(data)


def _check_rate_channels(rate: int, channels: int, where: str) -> None:
    if channels <= 0 or channels > MAX_CHANNELS:
        raise InvalidHeaderError(f"{where} declares {channels} channels (allowed 1..{MAX_CHANNELS})")
    if rate <= 0 or rate > MAX_SAMPLE_RATE:
        raise InvalidHeaderError(f"{where} declares a sample rate of {rate} Hz (allowed 1..{MAX_SAMPLE_RATE})")


def _iter_chunks(data: bytes, start: int, endian: str, id_size: int = 4) -> list[tuple[bytes, int, int]]:
    """(id, declared size, payload offset) of RIFF/IFF chunks; the walk stops at the data chunk."""
    chunks = []
    pos = start
    while pos + 8 <= len(data):
        cid = data[pos : pos + id_size]
        (size,) = struct.unpack(endian + "I", data[pos + 4 : pos + 8])
        chunks.append((cid, size, pos + 8))
        if cid in (b"data", b"SSND"):
            break
        pos += 8 + size + (size & 1)
    return chunks


def _check_wav(data: bytes) -> None:
    riff_id = data[:4]
    endian = ">" if riff_id == b"RIFX" else "<"
    chunks = _iter_chunks(data, 12, endian)
    ds64_data_size: int | None = None
    fmt_info: tuple[int, int, int, int, int] | None = None
    data_chunk: tuple[int, int] | None = None
    for cid, size, payload in chunks:
        if cid == b"ds64" and size >= 16 and payload + 16 <= len(data):
            (ds64_data_size,) = struct.unpack("<Q", data[payload + 8 : payload + 16])
        elif cid == b"fmt ":
            if size < 16 or payload + 16 > len(data):
                raise CorruptAudioError("WAV fmt chunk is shorter than 16 bytes or cut off")
            tag, channels, rate, _byte_rate, block_align, bits = struct.unpack(
                endian + "HHIIHH", data[payload : payload + 16]
            )
            fmt_info = (tag, channels, rate, block_align, bits)
        elif cid == b"data":
            data_chunk = (size, payload)
    if fmt_info is None:
        raise CorruptAudioError("WAV has no fmt chunk before its data (truncated or not a WAV)")
    tag, channels, rate, block_align, bits = fmt_info
    _check_rate_channels(rate, channels, "WAV header")
    if bits == 0 or bits > 64 or block_align == 0:
        raise InvalidHeaderError(f"WAV header declares {bits} bits per sample and a block size of {block_align} bytes")
    if data_chunk is None:
        raise CorruptAudioError("WAV has no data chunk (truncated)")
    declared, payload = data_chunk
    available = len(data) - payload
    if riff_id in (b"RF64", b"BW64") and declared == 0xFFFFFFFF:
        if ds64_data_size is None:
            raise CorruptAudioError("RF64 file without a ds64 chunk giving the data size")
        declared = ds64_data_size
    elif declared in (0, 0xFFFFFFFF):
        return  # written to a pipe: the size was never filled in, the data runs to the end
    if declared > available:
        raise CorruptAudioError(
            f"WAV is truncated: the header declares {declared} bytes of audio, {available} are present"
        )


def _check_aiff(data: bytes) -> None:
    chunks = _iter_chunks(data, 12, ">")
    comm = next(((size, payload) for cid, size, payload in chunks if cid == b"COMM"), None)
    ssnd = next(((size, payload) for cid, size, payload in chunks if cid == b"SSND"), None)
    if comm is None or comm[1] + 8 > len(data):
        raise CorruptAudioError("AIFF has no complete COMM chunk (truncated or not an AIFF)")
    (channels,) = struct.unpack(">h", data[comm[1] : comm[1] + 2])
    if channels <= 0 or channels > MAX_CHANNELS:
        raise InvalidHeaderError(f"AIFF header declares {channels} channels (allowed 1..{MAX_CHANNELS})")
    if ssnd is None:
        raise CorruptAudioError("AIFF has no SSND (sound data) chunk (truncated)")
    declared, payload = ssnd
    if declared > len(data) - payload:
        raise CorruptAudioError(
            f"AIFF is truncated: the header declares {declared} bytes of sound data, {len(data) - payload} are present"
        )


def _check_flac_streaminfo(data: bytes) -> None:
    start = data.find(b"fLaC")
    info = data[start + 4 : start + 4 + 4 + 34]
    if len(info) < 38 or info[0] & 0x7F != 0:
        raise CorruptAudioError("FLAC stream does not start with a complete STREAMINFO block")
    fields = int.from_bytes(info[4 + 10 : 4 + 18], "big")  # rate(20) channels-1(3) bps-1(5) total(36)
    rate = fields >> 44
    channels = ((fields >> 41) & 0x7) + 1
    _check_rate_channels(rate, channels, "FLAC STREAMINFO")


def _check_ogg_pages(data: bytes) -> None:
    """Walk the page chain: a page running past the end, or no end-of-stream flag, means truncation."""
    pos, last_flags = 0, 0
    size = len(data)
    while pos < size:
        if data[pos : pos + 4] != b"OggS":
            raise CorruptAudioError(f"Ogg page chain broken at byte {pos} (corrupt or truncated)")
        if pos + 27 > size:
            raise CorruptAudioError("Ogg stream is truncated inside a page header")
        nsegs = data[pos + 26]
        if pos + 27 + nsegs > size:
            raise CorruptAudioError("Ogg stream is truncated inside a page's segment table")
        body = sum(data[pos + 27 : pos + 27 + nsegs])
        end = pos + 27 + nsegs + body
        if end > size:
            raise CorruptAudioError(
                f"Ogg stream is truncated: the last page needs {end - pos} bytes, {size - pos} are present"
            )
        last_flags = data[pos + 5]
        pos = end
    if not last_flags & 0x04:
        raise CorruptAudioError("Ogg stream is truncated: the last page has no end-of-stream flag")


def _check_mpeg_frames(data: bytes) -> None:
    """Walk MPEG frames to the end; a final frame longer than the remaining bytes means truncation."""
    pos = 0
    for _ in range(_ID3_MAX_SKIPS):
        if data[pos : pos + 3] != b"ID3":
            break
        pos = _skip_id3v2(data, pos)
    while pos < len(data) and data[pos] == 0:
        pos += 1
    size = len(data)
    while pos < size:
        header = _mpeg_header(data, pos)
        if header is None:
            return  # trailing tag (ID3v1, APE, Lyrics) or junk; mpg123 resynchronises on junk
        length = header[0]
        if pos + length > size:
            raise CorruptAudioError(
                f"MPEG audio is truncated: the last frame needs {length} bytes, {size - pos} are present"
            )
        pos += length


# --------------------------------------------------------------------------------------------------
# Decoding back ends
# --------------------------------------------------------------------------------------------------


class _MonoSink:
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

    def finish(self) -> np.ndarray:
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


def _blocksize(channels: int) -> int:
    return max(1024, _BLOCK_BYTES // (4 * channels))


def _decode_soundfile(data: bytes, fmt: str, target_rate: int | None, max_duration_s: float) -> DecodedAudio:
    try:
        handle = sf.SoundFile(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise CorruptAudioError(f"{fmt} could not be opened by libsndfile: {exc}") from exc
    with handle:
        rate, channels = int(handle.samplerate), int(handle.channels)
        _check_rate_channels(rate, channels, f"{fmt} header")
        declared = int(handle.frames)
        max_frames = int(max_duration_s * rate)
        if fmt in _EXACT_LENGTH_FORMATS and declared > max_frames:
            raise TooLongError(f"audio lasts {declared / rate:.1f} s, longer than the maximum of {max_duration_s:g} s")
        out_rate = target_rate or rate
        sink = _MonoSink(rate, channels, out_rate, max_frames, max_duration_s, declared)
        block = np.empty((_blocksize(channels), channels), dtype=np.float32)
        try:
            while True:
                got = handle.read(dtype="float32", always_2d=True, out=block)
                if got.shape[0] == 0:
                    break
                sink.push(got)
                if got.shape[0] < block.shape[0]:
                    break
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise CorruptAudioError(f"{fmt} decoding failed after {sink.frames} frames: {exc}") from exc
        codec = str(handle.subtype)
    if sink.frames == 0:
        raise EmptyInputError(f"{fmt} container holds no audio samples")
    if fmt == "flac" and sink.frames < declared:
        raise CorruptAudioError(f"FLAC is truncated: STREAMINFO declares {declared} frames, {sink.frames} were decoded")
    return _result(data, sink, fmt, codec)


def _result(data: bytes, sink: _MonoSink, fmt: str, codec: str) -> DecodedAudio:
    samples = sink.finish()
    total = sink.frames * sink.channels
    return DecodedAudio(
        samples=samples,
        sample_rate=sink.out_rate,
        format=fmt,
        codec=codec,
        original_sample_rate=sink.in_rate,
        original_channels=sink.channels,
        original_frames=sink.frames,
        duration_s=sink.frames / sink.in_rate,
        sha256=hashlib.sha256(data).hexdigest(),
        clipping_ratio=sink.clipped / total if total else 0.0,
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioPipelineError(
            f"{name} is not installed; it is needed to decode this format", code="decoder_unavailable"
        )
    return path


def _ffprobe(path: str, timeout_s: float) -> dict:
    entries = "format=format_name,duration:stream=index,codec_type,codec_name,sample_rate,channels"
    cmd = [_tool("ffprobe"), "-v", "error", "-of", "json", "-show_entries", entries, path]
    try:
        run = subprocess.run(cmd, capture_output=True, timeout=min(timeout_s, 120.0), check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioPipelineError("ffprobe did not finish in time", code="decode_timeout") from exc
    if run.returncode != 0:
        raise CorruptAudioError(f"ffprobe could not parse the file: {_last_line(run.stderr, path)}")
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise CorruptAudioError("ffprobe returned unreadable output") from exc


def _last_line(stderr: bytes, path: str) -> str:
    """Last message of a tool, with our temporary file name replaced (it means nothing to users)."""
    text = stderr.decode("utf-8", "replace").replace(path, "<input>")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error message"


def _probe_audio_stream(probe: dict, fmt: str) -> tuple[int, int, str, float]:
    """(rate, channels, codec, duration or 0) of the first audio stream, after sanity checks."""
    format_name = str(probe.get("format", {}).get("format_name", ""))
    expected = _FFPROBE_FORMAT_NAMES.get(fmt, ())
    if not any(name in format_name for name in expected):
        raise CorruptAudioError(f"leading bytes say {fmt} but ffprobe parsed {format_name or 'nothing'}")
    audio = [s for s in probe.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise NotAudioError(f"{fmt} container has no audio stream")
    stream = audio[0]
    try:
        rate = int(stream.get("sample_rate", 0))
        channels = int(stream.get("channels", 0))
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"ffprobe reports an unreadable sample rate or channel count: {stream}") from exc
    _check_rate_channels(rate, channels, f"{fmt} audio stream")
    try:
        duration = float(probe.get("format", {}).get("duration", 0.0))
    except (TypeError, ValueError):
        duration = 0.0
    if not np.isfinite(duration) or duration < 0:
        duration = 0.0
    return rate, channels, str(stream.get("codec_name", "unknown")), duration


def _decode_ffmpeg(
    data: bytes,
    fmt: str,
    target_rate: int | None,
    max_duration_s: float,
    timeout_s: float,
    tmp_dir: str | os.PathLike[str] | None,
) -> DecodedAudio:
    with tempfile.NamedTemporaryFile(prefix="decode-", suffix="." + fmt, dir=tmp_dir) as tmp:
        tmp.write(data)
        tmp.flush()
        rate, channels, codec, duration = _probe_audio_stream(_ffprobe(tmp.name, timeout_s), fmt)
        max_frames = int(max_duration_s * rate)
        out_rate = target_rate or rate
        sink = _MonoSink(rate, channels, out_rate, max_frames, max_duration_s, int(duration * rate))
        cmd = [
            _tool("ffmpeg"),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-xerror",
            "-i",
            tmp.name,
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-ac",
            str(channels),
            "-ar",
            str(rate),
            "-c:a",
            "pcm_f32le",
            "-f",
            "f32le",
            "pipe:1",
        ]
        _run_ffmpeg(cmd, sink, channels, timeout_s, tmp.name)
    if sink.frames == 0:
        raise CorruptAudioError(f"ffmpeg decoded no audio from the {fmt} stream")
    return _result(data, sink, fmt, codec)


def _run_ffmpeg(cmd: list[str], sink: _MonoSink, channels: int, timeout_s: float, path: str) -> None:
    frame_bytes = 4 * channels
    block = bytearray(_blocksize(channels) * frame_bytes)
    view = memoryview(block)
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errfile)

        def on_timeout() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, on_timeout)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            while True:
                filled = _read_full(proc.stdout, view)
                usable = filled - filled % frame_bytes
                if usable:
                    samples = np.frombuffer(block, dtype="<f4", count=usable // 4)
                    sink.push(samples.reshape(-1, channels))
                if filled < len(block):
                    break
            rc = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if timed_out.is_set():
            raise AudioPipelineError(f"ffmpeg did not finish within {timeout_s:g} s", code="decode_timeout")
        if rc != 0:
            errfile.seek(0)
            raise CorruptAudioError(f"ffmpeg could not decode the stream: {_last_line(errfile.read(), path)}")


def _read_full(stream: io.BufferedReader, view: memoryview) -> int:
    """Fill `view` from a pipe (reads can return short); returns bytes read, < len(view) only at EOF."""
    filled = 0
    while filled < len(view):
        n = stream.readinto(view[filled:])
        if not n:
            break
        filled += n
    return filled


# --------------------------------------------------------------------------------------------------
# Analysis-form WAV fast path
# --------------------------------------------------------------------------------------------------


def _read_pcm16_mono_wav(data: bytes, max_seconds: float | None = None) -> tuple[np.ndarray, int] | None:
    """Fast read of a little-endian mono 16-bit PCM WAV (the analysis form); None for any other layout."""
    layout = _pcm16_mono_wav_layout(data)
    if layout is None:
        return None
    rate, offset, count = layout
    if max_seconds is not None:
        count = min(count, int(max_seconds * rate))
    samples = np.frombuffer(data, dtype="<i2", count=count, offset=offset).astype(np.float32)
    samples *= 1 / _PCM_SCALE
    return samples, rate


def _pcm16_mono_wav_layout(data: bytes) -> tuple[int, int, int] | None:
    """(rate, data offset, sample count) of a little-endian mono 16-bit PCM WAV; None for any other layout."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    chunks = _iter_chunks(data, 12, "<")
    fmt = next(((size, payload) for cid, size, payload in chunks if cid == b"fmt "), None)
    body = next(((size, payload) for cid, size, payload in chunks if cid == b"data"), None)
    if fmt is None or body is None or fmt[0] < 16:
        return None
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", data[fmt[1] : fmt[1] + 16])
    if fmt[0] >= 26 and tag == 0xFFFE:
        tag = struct.unpack("<H", data[fmt[1] + 24 : fmt[1] + 26])[0]
    if tag != 1 or channels != 1 or bits != 16 or not 0 < rate <= MAX_SAMPLE_RATE:
        return None
    size, payload = body
    available = len(data) - payload
    if size in (0, 0xFFFFFFFF):
        size = available
    if size > available:
        raise CorruptAudioError(f"analysis WAV is truncated: {size} bytes declared, {available} present")
    return int(rate), payload, size // 2
