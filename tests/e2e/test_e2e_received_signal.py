"""Through the running flow: what a listener hears is what the result says. A tone above the analysis
band is a tone, antiphase stereo is flagged and still analysed, a headerless telephony prompt and an
Opus file libsndfile refuses are decoded — each ends as exactly one result, none quarantined."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
from support.pipeline_instance import Pipeline

RATE = 48000
# An encoding libsndfile 1.2.2 refuses (packets across Ogg pages) and ffmpeg decodes cleanly.
REFUSED_OPUS = ("-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", "510k", "-vbr", "off")


def _flac(x: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, x, RATE, format="FLAC")
    return buffer.getvalue()


def _sine(freq: float, seconds: float = 3.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * RATE)) / RATE)


def _ffmpeg(tmp_path: Path, name: str, source: str, *args: str) -> bytes:
    out = tmp_path / name
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
            *args,
            str(out),
        ],
        check=True,
        timeout=60,
    )
    return out.read_bytes()


def test_what_is_received_is_what_is_measured(pipeline: Pipeline, tmp_path: Path) -> None:
    speechlike = _sine(300) * (1 + np.sin(2 * np.pi * 3 * np.arange(3 * RATE) / RATE)) / 2
    files = {
        "pilot-12k.flac": _flac(np.stack([_sine(12000), _sine(12000)], axis=1)),
        "antiphase.flac": _flac(np.stack([speechlike, -speechlike], axis=1)),
        "prompt.GSM": _ffmpeg(tmp_path, "prompt.gsm", "sine=frequency=440:duration=2", "-ar", "8000", "-f", "gsm"),
        "music-510k.opus": _ffmpeg(tmp_path, "music.opus", "sine=frequency=660:duration=3", *REFUSED_OPUS),
    }
    for name, body in files.items():
        assert pipeline.post(body, name).status_code == 200
    found = {}
    for name in files:
        kind, attrs = pipeline.wait_for(name)
        assert kind == "result", (name, attrs.get("audio.error"), attrs.get("audio.error.detail"))
        found[name] = attrs

    pilot = found["pilot-12k.flac"]
    assert float(pilot["audio.silence.ratio"]) == 0.0
    assert abs(float(pilot["audio.rms.dbfs"]) + 9.03) < 0.1
    assert 12000 <= int(pilot["audio.bandwidth.hz"]) <= 12100
    assert (pilot["audio.class"], pilot["audio.class.basis"]) == ("tone", "received spectrum")

    antiphase = found["antiphase.flac"]
    assert float(antiphase["audio.phase.correlation"]) == -1.0
    assert antiphase["audio.mono.compatible"] == "false"
    assert antiphase["audio.analysis.source"] == "channel 1"
    assert antiphase["audio.class"] != "silence" and antiphase["audio.class.basis"] == "model"

    prompt = found["prompt.GSM"]
    assert (prompt["audio.format"], prompt["audio.original.sample.rate"]) == ("gsm", "8000")
    assert abs(float(prompt["audio.duration.seconds"]) - 2.0) <= 0.02

    opus = found["music-510k.opus"]
    assert (opus["audio.format"], opus["audio.decoder"]) == ("opus", "ffmpeg")
    assert opus["audio.decoder.fallback"].startswith("libsndfile: ")
