"""RIFF/IFF chunk walking and the layout of a WAVE file up to its data chunk.

One walk, because two readers need it: the decoder's structure check (is the declared data all
there, is the format sane?) and the analysis-form reader (is this our mono 16-bit layout?). Both
must read the same header the same way, or a file could pass one and surprise the other.
Only the standard library: the analysis-form reader must stay light to import.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

WAVE_FORMAT_EXTENSIBLE = 0xFFFE


class Chunk(NamedTuple):
    id: bytes
    size: int  # as declared; it may run past the end of a truncated file
    offset: int  # where its payload starts


class WaveFmt(NamedTuple):
    """The first 16 bytes of a WAVE `fmt ` chunk."""

    tag: int  # format tag; WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format when present
    channels: int
    rate: int
    block_align: int
    bits: int


@dataclass(frozen=True)
class WaveLayout:
    """The chunks of a RIFF/RIFX/RF64/BW64 WAVE file that say what it holds and where."""

    fmt_size: int | None  # declared size of the fmt chunk; None when there is none
    fmt: WaveFmt | None  # None when there is no fmt chunk, or it is shorter than 16 bytes or cut off
    data_size: int | None  # declared size of the data chunk; None when there is none
    data_offset: int  # where the data chunk's payload starts (0 without one)
    ds64_data_size: int | None  # RF64/BW64: the 64-bit data size from the ds64 chunk


def iter_chunks(data: bytes, endian: str, start: int = 12) -> list[Chunk]:
    """The chunks from `start` on (`endian` '<' or '>'); the walk stops at the data (or SSND) chunk."""
    chunks = []
    pos = start
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        (size,) = struct.unpack(endian + "I", data[pos + 4 : pos + 8])
        chunks.append(Chunk(cid, size, pos + 8))
        if cid in (b"data", b"SSND"):
            break
        pos += 8 + size + (size & 1)
    return chunks


def wave_layout(data: bytes) -> WaveLayout:
    """Read the fmt, ds64 and data chunks of a WAVE file (big-endian for RIFX)."""
    endian = ">" if data[:4] == b"RIFX" else "<"
    chunks = iter_chunks(data, endian)
    fmt_chunk = next((c for c in chunks if c.id == b"fmt "), None)
    data_chunk = next((c for c in chunks if c.id == b"data"), None)
    ds64 = next((c for c in chunks if c.id == b"ds64" and c.size >= 16 and c.offset + 16 <= len(data)), None)
    return WaveLayout(
        fmt_size=None if fmt_chunk is None else fmt_chunk.size,
        fmt=None if fmt_chunk is None else _wave_fmt(data, fmt_chunk, endian),
        data_size=None if data_chunk is None else data_chunk.size,
        data_offset=0 if data_chunk is None else data_chunk.offset,
        ds64_data_size=None if ds64 is None else struct.unpack("<Q", data[ds64.offset + 8 : ds64.offset + 16])[0],
    )


def _wave_fmt(data: bytes, chunk: Chunk, endian: str) -> WaveFmt | None:
    start = chunk.offset
    if chunk.size < 16 or start + 16 > len(data):
        return None
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack(endian + "HHIIHH", data[start : start + 16])
    if tag == WAVE_FORMAT_EXTENSIBLE and chunk.size >= 26 and start + 26 <= len(data):
        (tag,) = struct.unpack(endian + "H", data[start + 24 : start + 26])
    return WaveFmt(tag, channels, rate, block_align, bits)
