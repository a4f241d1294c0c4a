"""RIFF chunk walking and the WAVE layout: the one reading of a WAV header that decoder and analysis form share."""

from __future__ import annotations

import struct

from audio_pipeline import riff
from support.decoder_inputs import wav_header


def test_layout_of_a_plain_pcm_wav() -> None:
    data = wav_header(8000, 2, frames=10)
    wave = riff.wave_layout(data)
    assert wave.fmt == riff.WaveFmt(tag=1, channels=2, rate=8000, block_align=4, bits=16)
    assert wave.fmt_size == 16
    assert (wave.data_size, wave.data_offset) == (40, 44)
    assert wave.ds64_data_size is None


def test_walk_stops_at_the_data_chunk_and_skips_padded_chunks() -> None:
    odd = b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # odd size: one pad byte follows
    data = wav_header(8000, 1, frames=4)
    data = data[:12] + odd + data[12:] + b"junk" + struct.pack("<I", 0)
    ids = [c.id for c in riff.iter_chunks(data, "<")]
    assert ids == [b"LIST", b"fmt ", b"data"]


def test_extensible_format_tag_resolves_to_its_sub_format() -> None:
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 0) + struct.pack("<H", 1) + b"\x00" * 14
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 4) + b"\x00" * 4
    wave = riff.wave_layout(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert wave.fmt is not None and wave.fmt.tag == 1


def test_short_or_cut_off_fmt_chunk_has_no_format_but_is_reported() -> None:
    short = b"RIFF\x00\x00\x00\x00WAVE" + b"fmt " + struct.pack("<I", 8) + b"\x00" * 8
    assert riff.wave_layout(short).fmt is None and riff.wave_layout(short).fmt_size == 8
    cut = b"RIFF\x00\x00\x00\x00WAVE" + b"fmt " + struct.pack("<I", 16) + b"\x01\x00"
    assert riff.wave_layout(cut).fmt is None and riff.wave_layout(cut).fmt_size == 16
    assert riff.wave_layout(b"RIFF\x00\x00\x00\x00WAVE").fmt_size is None


def test_rf64_data_size_comes_from_ds64() -> None:
    ds64 = b"ds64" + struct.pack("<I", 28) + struct.pack("<QQQI", 99, 1 << 33, 0, 0)
    data = wav_header(8000, 1, frames=4)
    data = b"RF64" + data[4:12] + ds64 + data[12:]
    assert riff.wave_layout(data).ds64_data_size == 1 << 33
