"""Print how far the flow's PESQ is from the `pesq` package's on the files as given (target ≤ 0.01).

For espeak-ng voices at 8 and 16 kHz and several degradations, the degraded file goes through the
same steps as in NiFi (DecodeAudio's analysis form, then ScoreSpeechQuality's step), and the score
is compared with `pesq.pesq(rate, reference, degraded, mode)` on the WAV files themselves.

    PYTHONPATH=.:nifi/python-processors .venv/bin/python -m bench.pesq_agreement
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf
from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps
from pesq import pesq

VOICES = ("en-us", "en-gb", "de", "fr", "es")
TEXT = "The quick brown fox jumps over the lazy dog. Please call me back at five thirty this afternoon."
DEGRADATIONS = {
    "noise": [
        "-filter_complex",
        "anoisesrc=color=white:amplitude=0.02:seed=3[n];[0:a][n]amix=inputs=2:duration=first:normalize=0",
    ],
    "lowpass": ["-af", "highpass=f=300,lowpass=f=3400"],
    "mp3-24k": None,  # codec round trip, handled below
    "quiet": ["-af", "volume=0.2"],
}


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def make_pair(folder: Path, voice: str, rate: int, kind: str) -> tuple[Path, Path]:
    raw = folder / f"{voice}.wav"
    if not raw.exists():
        _run(["espeak-ng", "-v", voice, "-w", str(raw), TEXT])
    reference = folder / f"ref-{voice}-{rate}.wav"
    if not reference.exists():
        _run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(reference), "pad", "0.5", "0.5"])
    degraded = folder / f"deg-{voice}-{rate}-{kind}.wav"
    ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if DEGRADATIONS[kind] is None:
        coded = folder / f"deg-{voice}-{rate}.mp3"
        _run([*ffmpeg, "-i", str(reference), "-b:a", "24k", str(coded)])
        _run([*ffmpeg, "-i", str(coded), "-ar", str(rate), "-ac", "1", "-c:a", "pcm_s16le", str(degraded)])
    else:
        _run(
            [
                *ffmpeg,
                "-i",
                str(reference),
                *DEGRADATIONS[kind],
                "-ar",
                str(rate),
                "-ac",
                "1",
                "-c:a",
                "pcm_s16le",
                str(degraded),
            ]
        )
    return reference, degraded


def flow_score(reference: Path, degraded: Path) -> float:
    """The MOS the flow computes: DecodeAudio's content and attributes, then ScoreSpeechQuality's step."""
    decoded = flow_steps.decode(degraded.read_bytes(), target_rate=16000, max_duration_s=3600)
    attributes = decoded.attributes | {attr.FILENAME: degraded.name, attr.REFERENCE: reference.name}
    assert decoded.content is not None
    found = flow_steps.find_reference(attributes, reference.parent)
    assert found is not None
    scored = flow_steps.score_speech_quality(decoded.content, attributes, reference=found)
    return float(scored.attributes[attr.PESQ_MOS])


def main() -> int:
    missing = [tool for tool in ("espeak-ng", "sox", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        print(f"missing tools: {', '.join(missing)}", file=sys.stderr)
        return 2
    worst = 0.0
    print("| rate | mode | voice | degradation | pesq package | flow | abs diff |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rate, mode in ((8000, "nb"), (16000, "wb")):
            for voice in VOICES:
                for kind in DEGRADATIONS:
                    reference, degraded = make_pair(folder, voice, rate, kind)
                    ref, _ = sf.read(str(reference))
                    deg, _ = sf.read(str(degraded))
                    expected = float(pesq(rate, ref, deg, mode))
                    got = flow_score(reference, degraded)
                    worst = max(worst, abs(got - expected))
                    diff = abs(got - expected)
                    print(f"| {rate} | {mode} | {voice} | {kind} | {expected:.4f} | {got:.4f} | {diff:.4f} |")
    print(
        f"\nlargest |flow - pesq| over {2 * len(VOICES) * len(DEGRADATIONS)} pairs: {worst:.4f} (target <= 0.01: "
        f"{'met' if worst <= 0.01 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
