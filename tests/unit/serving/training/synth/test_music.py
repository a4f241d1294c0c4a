"""The General MIDI writer (serving.training.synth.music): well-formed files, every note ended."""

from __future__ import annotations

import struct

import numpy as np

from serving.training.synth import music


def _parse_midi(data: bytes) -> tuple[int, list[list[bytes]]]:
    assert data[:4] == b"MThd"
    _, fmt, ntracks, _ = struct.unpack(">IHHH", data[4:14])
    pos, tracks = 14, []
    for _ in range(ntracks):
        assert data[pos : pos + 4] == b"MTrk"
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        body, i, events = data[pos + 8 : pos + 8 + length], 0, []
        while i < len(body):
            while body[i] & 0x80:  # delta time (VLQ)
                i += 1
            i += 1
            status = body[i]
            if status == 0xFF:
                n = body[i + 2]
                events.append(body[i : i + 3 + n])
                i += 3 + n
            else:
                size = 2 if status & 0xF0 in (0xC0, 0xD0) else 3
                events.append(body[i : i + size])
                i += size
        tracks.append(events)
        pos += 8 + length
    assert pos == len(data)
    return fmt, tracks


def test_midi_writer_produces_well_formed_files() -> None:
    for seed in range(5):
        data, bpm = music.random_song(np.random.default_rng(seed), 8.0)
        fmt, tracks = _parse_midi(data)
        assert fmt == 1 and 60 <= bpm <= 180 and len(tracks) >= 2
        for events in tracks:
            assert events[-1] == b"\xff\x2f\x00"
            ons = sum(1 for e in events if e[0] & 0xF0 == 0x90)
            offs = sum(1 for e in events if e[0] & 0xF0 == 0x80)
            assert ons == offs
