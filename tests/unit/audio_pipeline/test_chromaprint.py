"""Chromaprint whole-file fingerprints: same audio across codecs, different audio apart."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_pipeline import chromaprint

from bench.synthetic_music import synth_music, synth_texture

RATE = 16000
pytestmark = pytest.mark.skipif(chromaprint.backend() == "none", reason="libchromaprint1 not installed")


def _ffmpeg_roundtrip(x: np.ndarray, tmp_path: Path, suffix: str, *codec: str) -> np.ndarray:
    """Encode at 44.1 kHz like a real file, then decode back to the 16 kHz analysis form."""
    encoded = tmp_path / f"copy{suffix}"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "f32le",
            "-ar",
            str(RATE),
            "-ac",
            "1",
            "-i",
            "-",
            "-ar",
            "44100",
            *codec,
            str(encoded),
        ],
        input=x.astype(np.float32).tobytes(),
        check=True,
    )
    out = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(encoded), "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return synth_music(11, 20.0)


def test_fingerprint_has_compressed_and_raw_forms(song: np.ndarray) -> None:
    fp = chromaprint.fingerprint(song, RATE)
    assert fp.encoded.startswith("AQAA")
    assert fp.raw.dtype == np.uint32
    assert abs(len(fp.raw) - 20 * chromaprint.ITEMS_PER_SECOND) < 25  # ~8 items per second
    assert np.array_equal(chromaprint.decode(fp.encoded), fp.raw)
    assert chromaprint.encode(fp.raw) == fp.encoded
    assert fp.duration == pytest.approx(20.0)


def test_fingerprint_is_limited_to_max_seconds(song: np.ndarray) -> None:
    short = chromaprint.fingerprint(song, RATE, max_seconds=5.0)
    assert short.duration == pytest.approx(5.0)
    assert len(short.raw) < len(chromaprint.fingerprint(song, RATE).raw) / 3


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [(".mp3", ("-b:a", "128k")), (".ogg", ("-c:a", "libvorbis", "-q:a", "3")), (".wav", ())],
    ids=["mp3-128k", "ogg", "wav-44k"],
)
def test_reencodings_are_the_same_audio(song: np.ndarray, tmp_path: Path, suffix: str, codec: tuple[str, ...]) -> None:
    original = chromaprint.fingerprint(song, RATE)
    copy = chromaprint.fingerprint(_ffmpeg_roundtrip(song, tmp_path, suffix, *codec), RATE)
    assert chromaprint.same_audio(original.encoded, copy.encoded)
    assert chromaprint.similarity(original.raw, copy.raw) > 0.9
    assert chromaprint.hash_distance(original.hash, copy.hash) <= 4


def test_leading_silence_is_tolerated(song: np.ndarray) -> None:
    padded = np.concatenate([np.zeros(RATE, np.float32), song])
    ber, offset = chromaprint.bit_error_rate(
        chromaprint.fingerprint(song, RATE).raw, chromaprint.fingerprint(padded, RATE).raw
    )
    assert ber < 0.1
    assert offset < 0  # the padded copy's items start later


@pytest.mark.parametrize(
    "other", [lambda: synth_music(12, 20.0), lambda: synth_texture(13, 20.0)], ids=["music", "texture"]
)
def test_different_audio_is_different(song: np.ndarray, other) -> None:  # type: ignore[no-untyped-def]
    a = chromaprint.fingerprint(song, RATE)
    b = chromaprint.fingerprint(other(), RATE)
    assert not chromaprint.same_audio(a.raw, b.raw)
    assert chromaprint.similarity(a.raw, b.raw) < 0.7


def test_too_short_overlap_is_not_a_match() -> None:
    a = np.arange(10, dtype=np.uint32)
    assert chromaprint.bit_error_rate(a, a) == (1.0, 0)


def test_lookup_keys_survive_reencoding(song: np.ndarray, tmp_path: Path) -> None:
    a = set(chromaprint.lookup_keys(chromaprint.fingerprint(song, RATE).raw))
    copy = _ffmpeg_roundtrip(song, tmp_path, ".mp3", "-b:a", "128k")
    b = set(chromaprint.lookup_keys(chromaprint.fingerprint(copy, RATE).raw))
    assert len(a) >= 10
    assert len(a & b) >= 0.5 * len(a)


def test_silence_and_empty_input() -> None:
    assert len(chromaprint.fingerprint(np.zeros(0, np.float32), RATE).raw) == 0
    assert chromaprint.compact_hash(np.zeros(0, np.uint32)) == 0
    assert chromaprint.lookup_keys(np.zeros(0, np.uint32)) == []


def test_bad_input_raises() -> None:
    with pytest.raises(chromaprint.ChromaprintError):
        chromaprint.fingerprint(np.zeros((2, 100), np.float32), RATE)
    with pytest.raises(chromaprint.ChromaprintError):
        chromaprint.fingerprint(np.array([np.nan], np.float32), RATE)
    with pytest.raises(chromaprint.ChromaprintError):
        chromaprint.decode("not a fingerprint")
    assert chromaprint.ChromaprintError("x").code == "chromaprint_error"


def test_compact_hash_is_bitwise_majority() -> None:
    items = np.array([0b1011, 0b0011, 0b1001], dtype=np.uint32)
    assert chromaprint.compact_hash(items) == 0b1011
    assert chromaprint.hash_distance(0b1011, 0b0001) == 2


def test_fpcalc_fallback_accepts_exit_code_3(song: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the library, fpcalc is used; its exit code 3 with a printed fingerprint is success."""
    expected = chromaprint.fingerprint(song, RATE)
    fake = tmp_path / "fpcalc"
    raw = ",".join(str(int(v)) for v in expected.raw)
    fake.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = -raw ] && RAW=1; done\n'
        f'if [ -n "$RAW" ]; then echo "FINGERPRINT={raw}"; else echo "FINGERPRINT={expected.encoded}"; fi\n'
        "echo 'ERROR: Error decoding audio frame (End of file)' >&2\n"
        "exit 3\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(chromaprint, "_library", lambda: None)
    assert chromaprint.backend() == "fpcalc"
    got = chromaprint.fingerprint(song, RATE)
    assert np.array_equal(got.raw, expected.raw)
    assert got.encoded == expected.encoded


def test_fpcalc_failure_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "fpcalc"
    fake.write_text("#!/bin/sh\necho 'ERROR: could not open' >&2\nexit 2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(chromaprint, "_library", lambda: None)
    with pytest.raises(chromaprint.ChromaprintError, match="exit 2"):
        chromaprint.fingerprint(np.zeros(RATE, np.float32), RATE)


@pytest.mark.skipif(not Path("/usr/bin/fpcalc").exists(), reason="fpcalc not installed")
def test_real_fpcalc_agrees_with_library(song: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = chromaprint.fingerprint(song, RATE)
    monkeypatch.setattr(chromaprint, "_library", lambda: None)
    got = chromaprint.fingerprint(song, RATE)
    assert chromaprint.bit_error_rate(expected.raw, got.raw)[0] < 0.02
