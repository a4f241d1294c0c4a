"""Bad input and hostile names through the real flow: each file ends exactly once, in quarantine with
the right reason (or as a result), and nothing is ever written outside the data dir."""

from __future__ import annotations

import os
import struct

import pytest
from support.pipeline_instance import Pipeline


def _wav_header(rate: int, channels: int, frames: int = 1600) -> bytes:
    block = 2 * channels
    data = b"\x00" * (frames * block)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def corpus(audio) -> dict[str, tuple[bytes, str]]:
    good = audio.tone(duration=2.0, rate=16000, channels=1).read_bytes()
    flac = audio.transcode(audio.tone(duration=2.0), "flac").read_bytes()
    return {
        "empty.wav": (b"", "empty_input"),
        "text.wav": (b"just some words, not audio\n" * 50, "not_audio"),
        "program.mp3": (b"\x7fELF\x02\x01\x01" + os.urandom(4000), "not_audio"),
        "random.ogg": (os.urandom(20000), "not_audio"),
        "truncated.wav": (good[: len(good) // 3], "corrupt_audio"),
        "truncated.flac": (flac[: len(flac) // 2], "corrupt_audio"),
        "zero-rate.wav": (_wav_header(0, 1), "invalid_header"),
        "huge-rate.wav": (_wav_header(10_000_000, 1), "invalid_header"),
        "no-channels.wav": (_wav_header(16000, 0), "invalid_header"),
    }


def test_malformed_corpus_is_quarantined_with_reasons(pipeline: Pipeline, audio) -> None:
    cases = corpus(audio)
    for name, (body, _) in cases.items():
        assert pipeline.post(body, f"bad-{name}").status_code == 200
    for name, (body, code) in cases.items():
        kind, attrs = pipeline.wait_for(f"bad-{name}")
        assert (kind, attrs["audio.error"]) == ("quarantine", code), attrs.get("audio.error.detail")
        assert attrs["audio.error.detail"]
        kept = pipeline.settings.quarantine_dir / attrs["audio.output.name"]
        assert kept.read_bytes() == body


HOSTILE_HTTP_NAMES = [
    "../../etc/passwd.wav",
    "/etc/absolute.wav",
    "..%2f..%2fpct.wav",
    "%2e%2e%2f%2e%2e%2fdouble.wav",
    "a" * 300 + ".wav",
    "C:\\windows\\win.wav",
    ".hidden.wav",
]


@pytest.mark.parametrize("name", HOSTILE_HTTP_NAMES)
def test_hostile_http_filename_stays_inside_data_dir(pipeline: Pipeline, audio, name: str) -> None:
    body = audio.tone(duration=1.0, rate=16000, channels=1).read_bytes()
    before = _tree(pipeline.settings.data_dir.parent)
    assert pipeline.post(body, name).status_code == 200

    kind, attrs = pipeline.wait_for(name)

    assert kind == "result"
    written = _tree(pipeline.settings.data_dir.parent) - before
    outside = [p for p in written if not p.startswith(str(pipeline.settings.data_dir))]
    assert not outside, outside
    out_name = attrs["audio.output.name"]
    assert "/" not in out_name and "\\" not in out_name and not out_name.startswith(".")
    assert len(out_name) <= 80 + 2 + 36


def test_unicode_and_control_characters_from_the_inbox(pipeline: Pipeline, audio) -> None:
    names = ["sång – 音声.wav", "bell\x07tab\tname.wav"]
    for name in names:
        pipeline.drop(audio.tone(duration=1.0, rate=16000, channels=1), name)
    for name in names:
        kind, attrs = pipeline.wait_for(name)
        assert kind == "result"
        assert attrs["audio.output.name"].isascii() and attrs["audio.output.name"].isprintable()


def _tree(root) -> set[str]:
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}
