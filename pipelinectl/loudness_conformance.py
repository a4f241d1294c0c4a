"""Print the EBU Tech 3341/3342 conformance table of the loudness meter: ./scripts/loudness-conformance

The cases and how they are synthesised are in audio_pipeline.loudness_conformance; exit status 1 when
one fails.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names to run (default: all), e.g. 3341-1 3342-4")
    args = parser.parse_args(argv)
    from audio_pipeline import loudness_conformance

    cases = [case for case in loudness_conformance.CASES if not args.cases or case.name in args.cases]
    if not cases:
        parser.error(f"no such case; known: {', '.join(case.name for case in loudness_conformance.CASES)}")
    outcomes = loudness_conformance.run(cases)
    print(loudness_conformance.table(outcomes))
    return 0 if all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
