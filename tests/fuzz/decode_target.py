"""Coverage-guided fuzzing (atheris, libFuzzer) of format sniffing and decoding: untrusted bytes in.

Every upload reaches `sniff_format` and `decode` first, so whatever bytes arrive, they may only
return audio or raise an `AudioPipelineError` (a reason code the flow routes on): any other
exception becomes `internal_error`, which NiFi retries as if the environment had failed. Here
libFuzzer mutates a corpus of small valid files (`seeds`) guided by the coverage of the
`audio_pipeline` bytecode (libsndfile, soxr and ffmpeg are not instrumented: they are exercised,
not steered into). An exception that is not an `AudioPipelineError`, or a failed check of what a
successful decode returns, is a crash; libFuzzer saves the input that caused it.

Bounds: each ffprobe/ffmpeg run has `DECODE_TIMEOUT_S`, so a decode that outlives
`LIBFUZZER_TIMEOUT_S` is stuck where no timeout of ours reaches (libsndfile or our own loops) and
libFuzzer reports it as a timeout. `-rss_limit_mb` turns unbounded allocation into a crash, and the
small `MAX_DURATION_S` keeps honest inputs cheap.

Run: ``.venv/bin/python tests/fuzz/decode_target.py [libFuzzer flags] CORPUS_DIR...`` (or
``./scripts/fuzz``); flags left out get the defaults of `DEFAULT_FLAGS`. A saved crash input
replays with ``decode_target.py crash-<sha1>``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from audio_pipeline.decoding import DecodedAudio

REPO_ROOT = Path(__file__).resolve().parents[2]

DECODE_TIMEOUT_S = 2.0  # per ffprobe/ffmpeg run
MAX_DURATION_S = 5.0  # the seeds last well under a second; longer is refused as too_long
TARGET_RATE = 16_000  # the analysis form's rate, as the flow decodes
# A decode runs at most four tools (ffprobe and ffmpeg, twice when the downmix cancels), each bounded
# by DECODE_TIMEOUT_S; whatever runs longer than that plus slack for a busy machine is a hang.
LIBFUZZER_TIMEOUT_S = 4 * int(DECODE_TIMEOUT_S) + 7
RSS_LIMIT_MB = 1024  # the process peaks at 120-160 MB; a decode of <= 5 s of audio needs tens of MB
MAX_LEN = 4096  # seeds are below this; larger inputs add time per run, not new structure
DEFAULT_FLAGS = {
    "-timeout": str(LIBFUZZER_TIMEOUT_S),
    "-rss_limit_mb": str(RSS_LIMIT_MB),
    "-max_len": str(MAX_LEN),
    "-use_value_profile": "1",  # rewards inputs that come closer to a compared value (header bounds, magic numbers)
    "-print_final_stats": "1",
}

# The name the file arrived with matters only to input without any signature: its extension may
# name a headerless telephony format. It is taken from the input's length so that the seeds stay
# plain audio files and mutations that change the length reach every headerless decoder.
_NAME_BY_LENGTH = {1: "call.gsm", 2: "call.sln", 3: "call.ulaw", 5: "call.alaw"}
NAME_MODULUS = 8


def filename_for(data: bytes) -> str | None:
    """The file name `TestOneInput` decodes `data` under (None for half of all lengths)."""
    return _NAME_BY_LENGTH.get(len(data) % NAME_MODULUS)


def TestOneInput(data: bytes) -> None:
    """Sniff and decode `data` as the DecodeAudio step would; raise on anything but a typed refusal."""
    from audio_pipeline.analysis_wav import read_analysis_wav, to_wav_bytes
    from audio_pipeline.decoding import decode, sniff_format
    from audio_pipeline.errors import AudioPipelineError

    filename = filename_for(data)
    try:
        fmt = sniff_format(data, filename)
    except AudioPipelineError:
        return
    try:
        decoded = decode(
            data,
            target_rate=TARGET_RATE,
            max_duration_s=MAX_DURATION_S,
            timeout_s=DECODE_TIMEOUT_S,
            filename=filename,
        )
    except AudioPipelineError:
        return
    _check_decoded(decoded, fmt)
    # What DecodeAudio does next with every decoded file: its attributes and its analysis-form WAV.
    attributes = decoded.to_attributes()
    assert all(isinstance(value, str) for value in attributes.values()), attributes
    samples, rate = read_analysis_wav(to_wav_bytes(decoded.samples, decoded.sample_rate))
    assert (rate, samples.size) == (decoded.sample_rate, decoded.samples.size)


def _check_decoded(decoded: DecodedAudio, fmt: str) -> None:
    """What any successful decode promises, whatever the bytes were."""
    samples = decoded.samples
    assert decoded.format == fmt, (decoded.format, fmt)
    assert decoded.sample_rate == TARGET_RATE, decoded.sample_rate
    assert samples.ndim == 1 and samples.dtype == np.float32, (samples.shape, samples.dtype)
    assert samples.size > 0 and np.isfinite(samples).all(), "samples must be present and finite"
    assert 0 < decoded.duration_s <= MAX_DURATION_S, decoded.duration_s
    assert decoded.original_channels >= 1, decoded.original_channels


def with_default_flags(argv: list[str]) -> list[str]:
    """`argv` plus each flag of `DEFAULT_FLAGS` it does not set (libFuzzer takes the last of a repeated flag)."""
    given = {arg.split("=", 1)[0] for arg in argv[1:] if arg.startswith("-")}
    return argv + [f"{flag}={value}" for flag, value in DEFAULT_FLAGS.items() if flag not in given]


def main(argv: list[str]) -> None:
    """Instrument `audio_pipeline` as it is imported, then hand over to libFuzzer (which never returns)."""
    import atheris

    sys.path.insert(0, str(REPO_ROOT / "nifi" / "python-processors"))
    with atheris.instrument_imports(include=["audio_pipeline"]):
        for module in ("audio_pipeline.decoding", "audio_pipeline.analysis_wav"):
            importlib.import_module(module)
    atheris.Setup(with_default_flags(argv), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
