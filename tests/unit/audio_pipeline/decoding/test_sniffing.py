"""Format sniffing: what is not audio is refused before any decoder sees it, whatever a permissive probe says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline.decoding import sniff_format
from audio_pipeline.errors import AudioPipelineError
from support.decoder_inputs import decode_error_code

NOT_AUDIO = {
    "text": b"This is a plain text file.\nIt is definitely not audio.\n" * 50,
    "json": b'{"audio": "no", "values": [1, 2, 3]}',
    "elf-header": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 4000,
    "pdf": b"%PDF-1.7\n" + b"\x00\x01\x02" * 1000,
    "zip": b"PK\x03\x04" + bytes(range(256)) * 10,
    "midi": b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0" + b"MTrk" + b"\x00" * 100,
    "forged-mp3-sync": b"\xff\xfb\x90\x64" + np.random.default_rng(7).bytes(50_000),
    "forged-adts-sync": b"\xff\xf1\x50\x80" + np.random.default_rng(8).bytes(50_000),
    "id3-then-junk": b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"junk" * 1000,
    "ogg-without-audio": b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e" + b"\x80theora" + b"\x00" * 200,
}


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
def test_non_audio_is_refused(name: str) -> None:
    assert decode_error_code(NOT_AUDIO[name]) == "not_audio"


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_are_not_audio(seed: int) -> None:
    data = np.random.default_rng(seed).bytes(64 * 1024)
    assert decode_error_code(data) == "not_audio"


def test_real_executable_is_not_audio() -> None:
    exe = Path(sys.executable).resolve().read_bytes()[: 256 * 1024]
    assert decode_error_code(exe) == "not_audio"


def test_random_bytes_that_ffprobe_calls_audio_are_refused(tmp_path: Path) -> None:
    """Why signatures must chain: ffprobe reports an AAC stream in an ADTS sync word plus noise."""
    data = NOT_AUDIO["forged-adts-sync"]
    path = tmp_path / "forged.bin"
    path.write_bytes(data)
    probe = subprocess.run(
        ["ffprobe", "-v", "quiet", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "audio" in probe.stdout  # the permissive probe is fooled ...
    assert decode_error_code(data) == "not_audio"  # ... we are not
    with pytest.raises(AudioPipelineError) as info:
        sniff_format(data)
    assert info.value.code == "not_audio"


def test_empty_input() -> None:
    assert decode_error_code(b"") == "empty_input"
