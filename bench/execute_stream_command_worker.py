"""The NiFi 1.x way: ExecuteStreamCommand starts this script once per FlowFile.

The audio arrives on stdin; the script runs the same audio_pipeline.flow_steps steps as the NiFi
Python processors (through bench.steps) and prints the result attributes as JSON on
stdout. It exits 0 also when the audio is bad (the reason is in audio.error), so every file ends as
exactly one result; a non-zero exit means the script itself broke.

    python execute_stream_command_worker.py --references-dir DIR --database-url URL [--filename NAME]
        [--reference REF] [--timing] < audio
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "nifi" / "python-processors"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench import steps  # noqa: E402 - after the path set-up above


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references-dir", type=Path, required=True)
    parser.add_argument("--database-url", required=True, help="of the fingerprint catalog and the results table")
    parser.add_argument("--filename", default="")
    parser.add_argument("--reference", default="")
    parser.add_argument("--timing", action="store_true", help="print steps_s=<seconds the steps took> on stderr")
    args = parser.parse_args(argv)
    attributes = steps.ingest_attributes(args.filename, args.reference or None)
    context = steps.StepContext(args.references_dir, args.database_url)
    data = sys.stdin.buffer.read()
    started = time.perf_counter()
    try:
        result = steps.run(data, attributes, context)
    finally:
        context.close()
    if args.timing:
        print(f"steps_s={time.perf_counter() - started:.6f}", file=sys.stderr)
    sys.stdout.write(steps.result_json(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
