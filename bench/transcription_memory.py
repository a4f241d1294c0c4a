"""Peak memory and CPU of transcribing one long speech file in a TranscribeSpeech worker process.

    python -m bench.transcription_memory [--minutes 60] [--model whisper-base]

Builds the file from the bench corpus's espeak-ng speech (12 different 10 s clips, each with its
silence, repeated to the length), sends it to a TranscriptionPool with one worker process as the
processor does (the analysis form's bytes), and prints the worker's peak RSS (the kernel's VmHWM),
its CPU seconds per audio second, the pieces, and whether the segments reach the end of the file.
A figure, not a test: the issue's bound is 1 GB per worker for a 1-hour file.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import numpy as np
import psutil

from bench import corpus
from bench.memory import kernel_peak_mb
from pipelinectl.settings import load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.transcription_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--model", default="whisper-base")
    args = parser.parse_args(argv)

    from audio_pipeline.analysis_wav import to_wav_bytes
    from audio_pipeline.transcription.pool import TranscriptionPool
    from audio_pipeline.transcription.transcriber import RATE, TranscriptionSettings

    clips = [corpus.speech(10.0, k) for k in range(12)]
    rounds = int(np.ceil(args.minutes * 60 / (10.0 * len(clips))))
    samples = np.concatenate(clips * rounds)[: int(args.minutes * 60 * RATE)]
    content = to_wav_bytes(samples, RATE)
    del samples, clips
    audio_s = (len(content) - 44) / 2 / RATE
    pool = TranscriptionPool(load().transcription_models_dir / args.model, TranscriptionSettings(), workers=1)
    peak = {"mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not stop.wait(0.5):
            for child in me.children(recursive=True):
                peak["mb"] = max(peak["mb"], kernel_peak_mb(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        found = pool.transcribe(content)
        workers = psutil.Process().children(recursive=True)
        cpu = sum(w.cpu_times().user + w.cpu_times().system for w in workers)
        for worker in workers:
            peak["mb"] = max(peak["mb"], kernel_peak_mb(worker.pid))
    finally:
        stop.set()
        sampler.join()
        pool.close()
    wall = time.monotonic() - started
    last_end = found.segments[-1].end if found.segments else 0.0
    print(f"file: {audio_s:.0f} s of speech ({len(content) / 1e6:.0f} MB analysis form), model {args.model}")
    print(f"worker peak RSS: {peak['mb']:.0f} MB (bound: 1024 MB)")
    print(f"worker CPU: {cpu:.0f} s = {cpu / audio_s:.3f} CPU s per audio s; wall {wall:.0f} s")
    print(f"pieces: {found.pieces}, segments: {len(found.segments)}, words: {found.words}")
    print(f"last segment ends at {last_end:.0f} s of {audio_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
