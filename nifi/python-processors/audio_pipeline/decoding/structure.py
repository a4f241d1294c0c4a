"""Container structure checks (truncation and header sanity) before libsndfile sees the data.

libsndfile silently shortens a truncated WAV or Ogg file and pads a truncated MP3 with silence, so
a cut-off upload would pass as a shorter, complete file. Here the container's own bookkeeping is
checked first: the declared data size (WAV/RF64, AIFF), the Ogg page chain and its end-of-stream
flag, the MPEG frame chain; and headers declaring absurd rates or channel counts are refused
before any buffer is sized from them.
"""

from __future__ import annotations

import struct

from audio_pipeline import riff
from audio_pipeline.decoding.mpeg_frames import mpeg_header, skip_id3v2_tags
from audio_pipeline.errors import CorruptAudioError, InvalidHeaderError
from audio_pipeline.limits import check_channels, check_rate_channels


def check_structure(data: bytes, fmt: str) -> None:
    """Raise `CorruptAudioError`/`InvalidHeaderError` if `data` (sniffed as `fmt`) is cut off or absurd."""
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


def _check_wav(data: bytes) -> None:
    wave = riff.wave_layout(data)
    if wave.fmt is None:
        if wave.fmt_size is not None:
            raise CorruptAudioError("WAV fmt chunk is shorter than 16 bytes or cut off")
        raise CorruptAudioError("WAV has no fmt chunk before its data (truncated or not a WAV)")
    fmt = wave.fmt
    check_rate_channels(fmt.rate, fmt.channels, "WAV header")
    if fmt.bits == 0 or fmt.bits > 64 or fmt.block_align == 0:
        raise InvalidHeaderError(
            f"WAV header declares {fmt.bits} bits per sample and a block size of {fmt.block_align} bytes"
        )
    if wave.data_size is None:
        raise CorruptAudioError("WAV has no data chunk (truncated)")
    declared = wave.data_size
    available = len(data) - wave.data_offset
    if data[:4] in (b"RF64", b"BW64") and declared == 0xFFFFFFFF:
        if wave.ds64_data_size is None:
            raise CorruptAudioError("RF64 file without a ds64 chunk giving the data size")
        declared = wave.ds64_data_size
    elif declared in (0, 0xFFFFFFFF):
        return  # written to a pipe: the size was never filled in, the data runs to the end
    if declared > available:
        raise CorruptAudioError(
            f"WAV is truncated: the header declares {declared} bytes of audio, {available} are present"
        )


def _check_aiff(data: bytes) -> None:
    chunks = riff.iter_chunks(data, ">")
    comm = next((c for c in chunks if c.id == b"COMM"), None)
    ssnd = next((c for c in chunks if c.id == b"SSND"), None)
    if comm is None or comm.offset + 8 > len(data):
        raise CorruptAudioError("AIFF has no complete COMM chunk (truncated or not an AIFF)")
    (channels,) = struct.unpack(">h", data[comm.offset : comm.offset + 2])
    check_channels(channels, "AIFF header")
    if ssnd is None:
        raise CorruptAudioError("AIFF has no SSND (sound data) chunk (truncated)")
    available = len(data) - ssnd.offset
    if ssnd.size > available:
        raise CorruptAudioError(
            f"AIFF is truncated: the header declares {ssnd.size} bytes of sound data, {available} are present"
        )


def _check_flac_streaminfo(data: bytes) -> None:
    start = data.find(b"fLaC")
    info = data[start + 4 : start + 4 + 4 + 34]
    if len(info) < 38 or info[0] & 0x7F != 0:
        raise CorruptAudioError("FLAC stream does not start with a complete STREAMINFO block")
    fields = int.from_bytes(info[4 + 10 : 4 + 18], "big")  # rate(20) channels-1(3) bps-1(5) total(36)
    rate = fields >> 44
    channels = ((fields >> 41) & 0x7) + 1
    check_rate_channels(rate, channels, "FLAC STREAMINFO")


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
    pos = skip_id3v2_tags(data)
    size = len(data)
    while pos < size:
        header = mpeg_header(data, pos)
        if header is None:
            return  # trailing tag (ID3v1, APE, Lyrics) or junk; mpg123 resynchronises on junk
        length = header[0]
        if pos + length > size:
            raise CorruptAudioError(
                f"MPEG audio is truncated: the last frame needs {length} bytes, {size - pos} are present"
            )
        pos += length
