"""The ffmpeg back end: MP4/M4A, ADTS AAC, Matroska/WebM, ASF/WMA, AMR, Ogg FLAC/Speex, APE, WavPack.

Everything we recognise that libsndfile does not read goes through an ``ffmpeg`` subprocess, after
``ffprobe`` has confirmed an audio stream with sane parameters in a container of the kind the
leading bytes named (a mismatch means the signature lied). So do the libsndfile formats when
libsndfile refuses a file that passed the structure checks (`FALLBACK_FORMATS`: ffprobe must then
also find the codec the signature named), and the headerless telephony formats (`headerless`), which
have no container to probe and are read with an explicit input format. The input is spilled to a temporary file
because these containers need seeking (an M4A's index may sit at the end). ffmpeg delivers float32
at the original rate and channel count, so downmix and resampling happen in `MonoSink`, exactly as
for libsndfile. Both tools are bounded by a timeout.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import replace

import numpy as np

from audio_pipeline.decoding.decoded_audio import DecodedAudio
from audio_pipeline.decoding.mono_sink import MonoSink, block_frames
from audio_pipeline.decoding.options import DecodeOptions
from audio_pipeline.errors import (
    CorruptAudioError,
    DecoderUnavailableError,
    DecodeTimeoutError,
    InvalidHeaderError,
    NotAudioError,
)
from audio_pipeline.limits import check_rate_channels

# ffprobe `format_name` must contain one of these for the sniffed format (guards against a mismatch
# between what the leading bytes say and what ffmpeg actually parses).
_FFPROBE_FORMAT_NAMES: dict[str, tuple[str, ...]] = {
    "m4a": ("mp4", "mov"),
    "mp4": ("mp4", "mov"),
    "3gp": ("3gp", "mov"),
    "mov": ("mov",),
    "aac": ("aac",),
    "webm": ("matroska", "webm"),
    "mka": ("matroska", "webm"),
    "wma": ("asf",),
    "amr": ("amr",),
    "ogg-flac": ("ogg",),
    "speex": ("ogg",),
    "ape": ("ape",),
    "wavpack": ("wv",),
    # the libsndfile formats, for the fallback
    "wav": ("wav",),
    "w64": ("w64",),
    "aiff": ("aiff",),
    "caf": ("caf",),
    "au": ("au",),
    "flac": ("flac",),
    "ogg": ("ogg",),
    "opus": ("ogg",),
    "mp3": ("mp3",),
    "mp2": ("mp3",),
    "mp1": ("mp3",),
}
# For the fallback formats the codec is named by the signature too; ffprobe must find that codec.
_FFPROBE_CODECS: dict[str, tuple[str, ...]] = {
    "flac": ("flac",),
    "ogg": ("vorbis",),
    "opus": ("opus",),
    "mp3": ("mp3",),
    "mp2": ("mp2",),
    "mp1": ("mp1",),
}
# Formats ffmpeg decodes first (libsndfile does not read them).
FORMATS = frozenset(
    {"m4a", "mp4", "3gp", "mov", "aac", "webm", "mka", "wma", "amr", "ogg-flac", "speex", "ape", "wavpack"}
)
# Containers whose sample index states each stream's exact duration (what a cut file falls short of).
INDEXED_FORMATS = frozenset({"m4a", "mp4", "3gp", "mov"})
# Encoder priming and padding make a complete AAC stream differ from its index by a few frames.
TRUNCATION_TOLERANCE_S = 0.1
TRUNCATION_TOLERANCE_RATIO = 0.01
# libsndfile formats ffmpeg decodes when libsndfile refuses a file (see `decoding.decode`).
FALLBACK_FORMATS = frozenset(_FFPROBE_FORMAT_NAMES) - FORMATS
DECODER = "ffmpeg"  # DecodedAudio.decoder of what this back end decoded


def decode_ffmpeg(data: bytes, fmt: str, options: DecodeOptions) -> DecodedAudio:
    """Probe, then decode `data` (sniffed as `fmt`, in `FORMATS` or `FALLBACK_FORMATS`) through ffmpeg
    into a `MonoSink`."""
    with tempfile.NamedTemporaryFile(prefix="decode-", suffix="." + fmt, dir=options.tmp_dir) as tmp:
        tmp.write(data)
        tmp.flush()
        probe = _ffprobe(tmp.name, options.timeout_s)
        rate, channels, codec, duration = _probe_audio_stream(probe, fmt)
        sink = _decode_file(tmp.name, [], rate, channels, int(duration * rate), options)
    if sink.frames == 0:
        raise CorruptAudioError(f"ffmpeg decoded no audio from the {fmt} stream")
    _check_complete(sink.frames / rate, _indexed_duration(probe, fmt), fmt)
    return replace(sink.result(data, fmt, codec), decoder=DECODER)


def decode_ffmpeg_raw(
    data: bytes,
    fmt: str,
    input_args: list[str],
    rate: int,
    channels: int,
    codec: str,
    expected_frames: int,
    options: DecodeOptions,
) -> DecodedAudio:
    """Decode headerless `data` through ffmpeg, read as `input_args` say (``-f`` and the fixed layout),
    without ffprobe: there is no container to check, the caller has validated the bytes."""
    check_rate_channels(rate, channels, f"{fmt} input")
    with tempfile.NamedTemporaryFile(prefix="decode-", suffix="." + fmt, dir=options.tmp_dir) as tmp:
        tmp.write(data)
        tmp.flush()
        sink = _decode_file(tmp.name, input_args, rate, channels, expected_frames, options)
    if sink.frames == 0:
        raise CorruptAudioError(f"ffmpeg decoded no audio from the {fmt} data")
    return replace(sink.result(data, fmt, codec), decoder=DECODER)


def _decode_file(
    path: str, input_args: list[str], rate: int, channels: int, expected_frames: int, options: DecodeOptions
) -> MonoSink:
    """Run ffmpeg on `path` (read with `input_args`) into a new `MonoSink` at the original rate and layout."""
    sink = MonoSink(rate, channels, expected_frames, options)
    cmd = [
        _tool("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-xerror",
        *input_args,
        "-i",
        path,
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-ac",
        str(channels),
        "-ar",
        str(rate),
        "-c:a",
        "pcm_f32le",
        "-f",
        "f32le",
        "pipe:1",
    ]
    _run_ffmpeg(cmd, sink, channels, options.timeout_s, path)
    return sink


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DecoderUnavailableError(f"{name} is not installed; it is needed to decode this format")
    return path


def _check_complete(decoded_s: float, indexed_s: float | None, fmt: str) -> None:
    """An MP4 whose sample data was cut (index first, "faststart") decodes to a shorter stream, and
    not every ffmpeg build reports the missing samples as an error: compare with the index."""
    if indexed_s is None:
        return
    if indexed_s - decoded_s > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_RATIO * indexed_s):
        raise CorruptAudioError(
            f"{fmt} is truncated: its index declares {indexed_s:.2f} s of audio, only {decoded_s:.2f} s decoded"
        )


def _indexed_duration(probe: dict, fmt: str) -> float | None:
    """The first audio stream's duration from the container's sample index, where it has one."""
    if fmt not in INDEXED_FORMATS:
        return None
    audio = [s for s in probe.get("streams", []) if s.get("codec_type") == "audio"]
    try:
        duration = float(audio[0].get("duration", "nan"))
    except (IndexError, TypeError, ValueError):
        return None
    return duration if np.isfinite(duration) and duration > 0 else None


def _ffprobe(path: str, timeout_s: float) -> dict:
    entries = "format=format_name,duration:stream=index,codec_type,codec_name,sample_rate,channels,duration"
    cmd = [_tool("ffprobe"), "-v", "error", "-of", "json", "-show_entries", entries, path]
    try:
        run = subprocess.run(cmd, capture_output=True, timeout=min(timeout_s, 120.0), check=False)
    except subprocess.TimeoutExpired as exc:
        raise DecodeTimeoutError("ffprobe did not finish in time") from exc
    if run.returncode != 0:
        raise CorruptAudioError(f"ffprobe could not parse the file: {_last_line(run.stderr, path)}")
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise CorruptAudioError("ffprobe returned unreadable output") from exc


def _last_line(stderr: bytes, path: str) -> str:
    """Last message of a tool, with our temporary file name replaced (it means nothing to users)."""
    text = stderr.decode("utf-8", "replace").replace(path, "<input>")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error message"


def _probe_audio_stream(probe: dict, fmt: str) -> tuple[int, int, str, float]:
    """(rate, channels, codec, duration or 0) of the first audio stream, after sanity checks."""
    format_name = str(probe.get("format", {}).get("format_name", ""))
    expected = _FFPROBE_FORMAT_NAMES.get(fmt, ())
    if not any(name in format_name for name in expected):
        raise CorruptAudioError(f"leading bytes say {fmt} but ffprobe parsed {format_name or 'nothing'}")
    audio = [s for s in probe.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise NotAudioError(f"{fmt} container has no audio stream")
    stream = audio[0]
    try:
        rate = int(stream.get("sample_rate", 0))
        channels = int(stream.get("channels", 0))
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"ffprobe reports an unreadable sample rate or channel count: {stream}") from exc
    check_rate_channels(rate, channels, f"{fmt} audio stream")
    codec = str(stream.get("codec_name", "unknown"))
    expected_codecs = _FFPROBE_CODECS.get(fmt)
    if expected_codecs is not None and codec not in expected_codecs:
        raise CorruptAudioError(f"leading bytes say {fmt} but ffprobe found a {codec} stream")
    try:
        duration = float(probe.get("format", {}).get("duration", 0.0))
    except (TypeError, ValueError):
        duration = 0.0
    if not np.isfinite(duration) or duration < 0:
        duration = 0.0
    return rate, channels, codec, duration


def _run_ffmpeg(cmd: list[str], sink: MonoSink, channels: int, timeout_s: float, path: str) -> None:
    frame_bytes = 4 * channels
    block = bytearray(block_frames(channels) * frame_bytes)
    view = memoryview(block)
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errfile)

        def on_timeout() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, on_timeout)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            while True:
                filled = _read_full(proc.stdout, view)
                usable = filled - filled % frame_bytes
                if usable:
                    samples = np.frombuffer(block, dtype="<f4", count=usable // 4)
                    sink.push(samples.reshape(-1, channels))
                if filled < len(block):
                    break
            rc = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if timed_out.is_set():
            raise DecodeTimeoutError(f"ffmpeg did not finish within {timeout_s:g} s")
        if rc != 0:
            errfile.seek(0)
            raise CorruptAudioError(f"ffmpeg could not decode the stream: {_last_line(errfile.read(), path)}")


def _read_full(stream: io.BufferedReader, view: memoryview) -> int:
    """Fill `view` from a pipe (reads can return short); returns bytes read, < len(view) only at EOF."""
    filled = 0
    while filled < len(view):
        n = stream.readinto(view[filled:])
        if not n:
            break
        filled += n
    return filled
