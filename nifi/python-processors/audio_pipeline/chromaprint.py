"""Whole-file Chromaprint fingerprints: identity of complete files (duplicates), never of excerpts.

Backend choice: ctypes on Debian's ``libchromaprint.so.1``. Our input is already decoded
(mono float32 at 16 kHz), so feeding samples straight into the library avoids a second decode,
a temporary file and a subprocess (``fpcalc`` costs a fork/exec and a WAV write per call), and
adds no Python dependency (``pyacoustid`` is itself a ctypes wrapper over the same library).
``fpcalc -raw`` is kept as a fallback for hosts that have the tool but not the shared library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import shutil
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.errors import ChromaprintError

ALGORITHM_DEFAULT = 1  # CHROMAPRINT_ALGORITHM_TEST2, what fpcalc and AcoustID use
DEFAULT_MAX_SECONDS = 120.0  # fpcalc's default: enough for identity, bounded cost for long files
ITEMS_PER_SECOND = 11025 / 1365  # one 32-bit item per 1365 samples at 11025 Hz (~0.124 s)

# Bit error rate (fraction of differing bits over the aligned overlap) below which two fingerprints
# are the same recording. Measured on synthetic music and noise textures: MP3 128k/64k, Ogg q3 and
# 44.1 kHz copies stay at or below 0.01; unrelated audio sat at 0.42 or more. The threshold leaves
# room for harsher real-world codecs and level changes.
SAME_AUDIO_MAX_BER = 0.25
DEFAULT_MAX_OFFSET_ITEMS = 12  # ~1.5 s of leading/trailing silence or trimming
MIN_OVERLAP_ITEMS = 16  # ~2 s: shorter overlaps say nothing reliable


@dataclass(frozen=True)
class Fingerprint:
    """A Chromaprint fingerprint: `encoded` goes to `audio.fingerprint.chromaprint`."""

    encoded: str  # compressed, URL-safe base64 (the fpcalc / AcoustID form)
    raw: np.ndarray  # uint32 items, ~8 per second
    duration: float  # seconds of audio that were fingerprinted

    @property
    def hash(self) -> int:
        return compact_hash(self.raw)


# --------------------------------------------------------------------------------------------
# libchromaprint through ctypes


class _Lib:
    """The loaded library with typed signatures (each call below uses its own context: thread-safe)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        vp, ip, c_int = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
        u32pp = ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32))
        lib.chromaprint_new.restype = vp
        lib.chromaprint_new.argtypes = [c_int]
        lib.chromaprint_free.argtypes = [vp]
        lib.chromaprint_start.argtypes = [vp, c_int, c_int]
        lib.chromaprint_feed.argtypes = [vp, ctypes.POINTER(ctypes.c_int16), c_int]
        lib.chromaprint_finish.argtypes = [vp]
        lib.chromaprint_get_fingerprint.argtypes = [vp, ctypes.POINTER(ctypes.c_char_p)]
        lib.chromaprint_get_raw_fingerprint.argtypes = [vp, u32pp, ip]
        lib.chromaprint_dealloc.argtypes = [vp]
        lib.chromaprint_encode_fingerprint.argtypes = [
            ctypes.POINTER(ctypes.c_uint32),
            c_int,
            c_int,
            ctypes.POINTER(ctypes.c_char_p),
            ip,
            c_int,
        ]
        lib.chromaprint_decode_fingerprint.argtypes = [ctypes.c_char_p, c_int, u32pp, ip, ip, c_int]
        for name in (
            "chromaprint_start",
            "chromaprint_feed",
            "chromaprint_finish",
            "chromaprint_get_fingerprint",
            "chromaprint_get_raw_fingerprint",
            "chromaprint_encode_fingerprint",
            "chromaprint_decode_fingerprint",
        ):
            getattr(lib, name).restype = c_int
        self.lib = lib


_LIB: _Lib | None = None
_LIB_LOCK = threading.Lock()


def _library() -> _Lib | None:
    """Load libchromaprint once; None when it is not installed (then fpcalc is tried)."""
    global _LIB
    with _LIB_LOCK:
        if _LIB is None:
            for name in ("libchromaprint.so.1", ctypes.util.find_library("chromaprint")):
                if not name:
                    continue
                try:
                    _LIB = _Lib(ctypes.CDLL(name))
                    break
                except OSError:
                    continue
        return _LIB


def backend() -> str:
    """'library', 'fpcalc' or 'none': which implementation `fingerprint` will use."""
    if _library() is not None:
        return "library"
    return "fpcalc" if shutil.which("fpcalc") else "none"


def _to_int16(samples: np.ndarray) -> np.ndarray:
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim != 1:
        raise ChromaprintError(f"expected mono samples, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ChromaprintError("samples contain NaN or infinity")
    return np.ascontiguousarray(np.clip(data * 32768.0, -32768, 32767).astype(np.int16))


def fingerprint(samples: np.ndarray, rate: int, max_seconds: float | None = DEFAULT_MAX_SECONDS) -> Fingerprint:
    """Fingerprint the first `max_seconds` of mono float samples (None: all of them)."""
    if rate <= 0:
        raise ChromaprintError(f"invalid sample rate {rate}")
    if max_seconds is not None:  # before converting: an hour-long file need not be copied whole
        samples = samples[: int(max_seconds * rate)]
    pcm = _to_int16(samples)
    duration = len(pcm) / rate
    lib = _library()
    if lib is not None:
        raw = _fingerprint_library(lib, pcm, rate)
        return Fingerprint(encoded=encode(raw), raw=raw, duration=duration)
    if shutil.which("fpcalc"):
        raw, encoded = _fingerprint_fpcalc(pcm, rate)
        return Fingerprint(encoded=encoded, raw=raw, duration=duration)
    raise ChromaprintError("neither libchromaprint.so.1 nor fpcalc is installed (Debian libchromaprint1)")


def _fingerprint_library(lib: _Lib, pcm: np.ndarray, rate: int) -> np.ndarray:
    c = lib.lib
    ctx = c.chromaprint_new(ALGORITHM_DEFAULT)
    if not ctx:
        raise ChromaprintError("chromaprint_new failed")
    try:
        if not c.chromaprint_start(ctx, rate, 1):
            raise ChromaprintError(f"chromaprint_start failed at {rate} Hz")
        data = pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))
        if len(pcm) and not c.chromaprint_feed(ctx, data, len(pcm)):
            raise ChromaprintError("chromaprint_feed failed")
        if not c.chromaprint_finish(ctx):
            raise ChromaprintError("chromaprint_finish failed")
        items = ctypes.POINTER(ctypes.c_uint32)()
        size = ctypes.c_int()
        if not c.chromaprint_get_raw_fingerprint(ctx, ctypes.byref(items), ctypes.byref(size)):
            raise ChromaprintError("chromaprint_get_raw_fingerprint failed")
        try:
            return np.ctypeslib.as_array(items, shape=(size.value,)).copy() if size.value else _empty()
        finally:
            c.chromaprint_dealloc(items)
    finally:
        c.chromaprint_free(ctx)


def _fingerprint_fpcalc(pcm: np.ndarray, rate: int) -> tuple[np.ndarray, str]:
    """Fallback: write a WAV, run fpcalc for the raw and for the compressed form.

    Exit code 3 means "decode error at the end of input" and the fingerprint was still printed
    (chromaprint NEWS 1.4.3); it happens on valid files, so it counts as success.
    """
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    length = str(max(1, int(np.ceil(len(pcm) / rate))))
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        Path(tmp.name).write_bytes(buffer.getvalue())
        raw_text = _run_fpcalc(["-raw", "-length", length, tmp.name])
        encoded = _run_fpcalc(["-length", length, tmp.name])
    raw = np.array([int(v) & 0xFFFFFFFF for v in raw_text.split(",")], dtype=np.uint32) if raw_text else _empty()
    return raw, encoded


def _run_fpcalc(args: list[str]) -> str:
    proc = subprocess.run(["fpcalc", *args], capture_output=True, text=True, timeout=60, check=False)
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    if proc.returncode not in (0, 3) or "FINGERPRINT" not in values:
        raise ChromaprintError(f"fpcalc failed (exit {proc.returncode}): {proc.stderr.strip()[:200]}")
    return values["FINGERPRINT"].strip()


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.uint32)


# --------------------------------------------------------------------------------------------
# Encoding


def encode(raw: np.ndarray) -> str:
    """Compressed base64 form of raw items (what fpcalc prints without -raw)."""
    lib = _library()
    items = np.ascontiguousarray(raw, dtype=np.uint32)
    if lib is None:
        raise ChromaprintError("encoding needs libchromaprint.so.1 (Debian libchromaprint1)")
    out = ctypes.c_char_p()
    size = ctypes.c_int()
    ok = lib.lib.chromaprint_encode_fingerprint(
        items.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
        len(items),
        ALGORITHM_DEFAULT,
        ctypes.byref(out),
        ctypes.byref(size),
        1,
    )
    if not ok:
        raise ChromaprintError("chromaprint_encode_fingerprint failed")
    try:
        return ctypes.string_at(out, size.value).decode("ascii")
    finally:
        lib.lib.chromaprint_dealloc(out)


def decode(encoded: str) -> np.ndarray:
    """Raw uint32 items of a compressed base64 fingerprint."""
    lib = _library()
    if lib is None:
        raise ChromaprintError("decoding needs libchromaprint.so.1 (Debian libchromaprint1)")
    data = encoded.strip().encode("ascii")
    items = ctypes.POINTER(ctypes.c_uint32)()
    size = ctypes.c_int()
    algorithm = ctypes.c_int()
    ok = lib.lib.chromaprint_decode_fingerprint(
        data,
        len(data),
        ctypes.byref(items),
        ctypes.byref(size),
        ctypes.byref(algorithm),
        1,
    )
    if not ok:
        raise ChromaprintError("not a Chromaprint fingerprint")
    try:
        return np.ctypeslib.as_array(items, shape=(size.value,)).copy() if size.value else _empty()
    finally:
        lib.lib.chromaprint_dealloc(items)


# --------------------------------------------------------------------------------------------
# Comparison


def _popcount32(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values.astype(np.uint32))


def bit_error_rate(a: np.ndarray, b: np.ndarray, max_offset: int = DEFAULT_MAX_OFFSET_ITEMS) -> tuple[float, int]:
    """Lowest bit error rate over item offsets in ±`max_offset` and the offset where it occurs.

    b[i] aligns with a[i + offset]: a negative offset means `b` has that many extra items in front
    (leading silence, say), a positive one that `a` has.
    The overlap must be at least MIN_OVERLAP_ITEMS and half the shorter fingerprint, so a short
    accidental overlap cannot look like a match. Returns (1.0, 0) when nothing qualifies.
    """
    a = np.asarray(a, dtype=np.uint32)
    b = np.asarray(b, dtype=np.uint32)
    need = max(MIN_OVERLAP_ITEMS, min(len(a), len(b)) // 2)
    best, best_offset = 1.0, 0
    for offset in range(-max_offset, max_offset + 1):
        if offset >= 0:
            x, y = a[offset:], b
        else:
            x, y = a, b[-offset:]
        n = min(len(x), len(y))
        if n < need:
            continue
        ber = float(_popcount32(x[:n] ^ y[:n]).sum()) / (32.0 * n)
        if ber < best:
            best, best_offset = ber, offset
    return best, best_offset


def similarity(a: np.ndarray | str, b: np.ndarray | str, max_offset: int = DEFAULT_MAX_OFFSET_ITEMS) -> float:
    """1 − bit error rate at the best alignment: ≈1 for the same audio, ≈0.5 for unrelated audio."""
    ra = decode(a) if isinstance(a, str) else a
    rb = decode(b) if isinstance(b, str) else b
    return 1.0 - bit_error_rate(ra, rb, max_offset)[0]


def same_audio(a: np.ndarray | str, b: np.ndarray | str, max_offset: int = DEFAULT_MAX_OFFSET_ITEMS) -> bool:
    """True when both fingerprints come from the same recording (re-encodings included)."""
    return similarity(a, b, max_offset) >= 1.0 - SAME_AUDIO_MAX_BER


def compact_hash(raw: np.ndarray) -> int:
    """32-bit simhash (bitwise majority over items): equal or a few bits apart for the same audio.

    It is a cheap pre-filter, not a verdict: the index looks candidates up by `lookup_keys` and
    confirms with `same_audio`.
    """
    items = np.asarray(raw, dtype=np.uint32)
    if len(items) == 0:
        return 0
    bits = (items[:, None] >> np.arange(32, dtype=np.uint32)) & 1
    majority = bits.sum(axis=0) * 2 > len(items)
    return int((majority.astype(np.uint64) << np.arange(32, dtype=np.uint64)).sum())


def hash_distance(a: int, b: int) -> int:
    """Number of differing bits between two compact hashes."""
    return int((a ^ b) & 0xFFFFFFFF).bit_count()


KEY_SHIFT = 12  # keep the top 20 bits of an item: survives re-encoding often enough, still selective
KEY_SAMPLING = 4  # keep about one key in this many (consistently for every file): fewer index rows


def lookup_keys(raw: np.ndarray) -> list[int]:
    """Distinct index keys of a fingerprint: top bits of items, consistently sub-sampled.

    A re-encoded copy shares a good fraction of these keys exactly, so an inverted index on them
    finds duplicate candidates without scanning every stored fingerprint.
    """
    keys = np.unique(np.asarray(raw, dtype=np.uint32) >> KEY_SHIFT)
    mixed = (keys.astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
    keep = (mixed >> np.uint64(16)) % np.uint64(KEY_SAMPLING) == 0
    return [int(k) for k in keys[keep]]
