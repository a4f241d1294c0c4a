"""MPEG/ADTS frame chains and the ID3v2 tags in front of them."""

from __future__ import annotations

import pytest
from audio_pipeline.decoding.mpeg_frames import adts_chain_ok, mpeg_chain_format, mpeg_header, skip_id3v2_tags
from audio_pipeline.errors import AudioPipelineError

# MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames
_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 413


def _id3(size: int) -> bytes:
    return b"ID3\x04\x00\x00" + bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


def test_frame_header_and_chain() -> None:
    assert mpeg_header(_FRAME, 0) == (417, 3, 44100)
    assert mpeg_chain_format(_FRAME * 3, 0) == "mp3"
    assert mpeg_chain_format(_FRAME * 2, 0) == "mp3"  # a tiny file may end after two frames
    assert mpeg_chain_format(_FRAME + b"\x00" * 1000, 0) is None  # one sync word is not a stream
    assert not adts_chain_ok(_FRAME * 3, 0)


def test_id3_tags_and_their_padding_are_skipped() -> None:
    assert skip_id3v2_tags(_FRAME) == 0
    data = _id3(20) + b"\x00" * 20 + _id3(5) + b"\x00" * 5 + b"\x00\x00" + _FRAME
    assert skip_id3v2_tags(data) == len(data) - len(_FRAME)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_id3(20) + b"\x00" * 10, "corrupt_audio"),  # the tag runs past the end
        (_id3(4) + b"\x00" * 4 + b"\x00" * 50, "not_audio"),  # nothing but a tag and padding
        (b"ID3\x04\x00", "not_audio"),  # tag header cut off
        (b"ID3\x04\x00\x00\x80\x00\x00\x00" + _FRAME, "not_audio"),  # not a syncsafe size
    ],
)
def test_tag_without_audio_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(AudioPipelineError) as info:
        skip_id3v2_tags(data)
    assert info.value.code == code
