"""Apply `key=value` override files to a Java properties file (nifi.properties, bootstrap.conf) in place.

The official image's start.sh sets only the keys it has NIFI_* variables for. What else the pipeline
needs (load-balance port, Python limits, where the flow is kept, JVM flags) comes from files mounted
from a ConfigMap; the image's entry point (start.sh beside this file) applies them before start.sh.
Standard library only: it runs on the image's system Python.
"""

from __future__ import annotations

import sys
from pathlib import Path


def parse(text: str) -> dict[str, str]:
    """The overrides of one file, in file order; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "!")):
            continue
        key, separator, value = stripped.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"line {number} is not key=value: {line!r}")
        values[key.strip()] = value.strip()
    return values


def apply(properties: str, overrides: dict[str, str]) -> str:
    """`properties` with every active line of an overridden key replaced; keys it lacks appended."""
    seen: set[str] = set()
    lines = []
    for line in properties.splitlines():
        key, separator, _ = line.partition("=")
        key = key.strip()
        if separator and not line.lstrip().startswith(("#", "!")) and key in overrides:
            lines.append(f"{key}={overrides[key]}")
            seen.add(key)
        else:
            lines.append(line)
    lines.extend(f"{key}={value}" for key, value in overrides.items() if key not in seen)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: apply_properties.py TARGET OVERRIDES...", file=sys.stderr)
        return 2
    target, *sources = (Path(arg) for arg in argv)
    overrides: dict[str, str] = {}
    for source in sources:
        overrides.update(parse(source.read_text()))
    target.write_text(apply(target.read_text(), overrides))
    print(f"applied {len(overrides)} properties from {', '.join(map(str, sources))} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
