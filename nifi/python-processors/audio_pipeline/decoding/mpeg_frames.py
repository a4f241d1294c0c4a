"""MPEG audio (ISO 11172-3 / 13818-3) and ADTS (AAC) frame headers, and the ID3v2 tags before them.

These formats have no container header: a stream is just frames, each starting with a sync word.
Random bytes hit a sync word often, and permissive decoders (ffmpeg, mpg123) then "decode" noise.
So a stream is accepted only when several consistent frame headers chain, each starting where the
previous frame's declared length ends.
"""

from __future__ import annotations

from audio_pipeline.errors import CorruptAudioError, NotAudioError

MIN_CHAINED_FRAMES = 3
_ID3_MAX_SKIPS = 4

# Index 0 is "free format", which we refuse.
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


def skip_id3v2_tags(data: bytes) -> int:
    """Offset of the first byte after the leading ID3v2 tags (and the zero padding after them).

    Raises `NotAudioError` when nothing but a tag (and padding) is there.
    """
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
    return offset


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


def mpeg_header(data: bytes, pos: int) -> tuple[int, int, int] | None:
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


def mpeg_chain_format(data: bytes, offset: int) -> str | None:
    """'mp3'/'mp2'/'mp1' if consistent MPEG frames follow each other from `offset`."""
    first = mpeg_header(data, offset)
    if first is None:
        return None
    _, layer, rate = first
    pos, count = offset, 0
    while count < MIN_CHAINED_FRAMES:
        header = mpeg_header(data, pos)
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


def adts_chain_ok(data: bytes, offset: int) -> bool:
    """True if consistent ADTS frames follow each other from `offset`."""
    pos = offset
    for count in range(MIN_CHAINED_FRAMES):
        length = _adts_frame_length(data, pos)
        if length is None:
            return pos == len(data) and count >= 2
        pos += length
    return True
