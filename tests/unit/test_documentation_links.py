"""Every document (docs/*.md, README.md, <folder>/README.md) that a Python source or a Markdown file
mentions exists, and so does a section it names (`docs/metrics.md` §5, `docs/benchmark.md, "Findings"`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pipelinectl.settings import REPO_ROOT

DOCUMENT = re.compile(
    r"(?<![\w/.-])(?P<path>(?:[\w.-]+/)*(?:docs/[\w.-]+\.md|README\.md))`?"
    r"(?:,? (?:§(?P<number>\d+)|\"(?P<title>[^\"]+)\"))?"
)


def mentions(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(m["path"], m["number"], m["title"]) for m in DOCUMENT.finditer(text)]


def headings(document: Path) -> list[str]:
    return [
        line.lstrip("#").strip() for line in document.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]


def broken_mentions() -> list[str]:
    files = subprocess.run(
        ["git", "ls-files", "*.py", "*.md"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    broken = []
    for relative in files:
        source = REPO_ROOT / relative
        if not source.exists() or source == Path(__file__).resolve():  # its examples are made up
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for path, section, title in mentions(line):
                where = f"{relative}:{number}: {path}"
                # Relative to the repository root, or (../README.md) to the mentioning file.
                document = next((d for d in (REPO_ROOT / path, source.parent / path) if d.is_file()), None)
                if document is None:
                    broken.append(f"{where} does not exist")
                elif section and not any(h.startswith(f"{section}.") for h in headings(document)):
                    broken.append(f"{where} has no section {section}")
                elif title and not any(title in h for h in headings(document)):
                    broken.append(f"{where} has no section {title!r}")
    return broken


def test_the_pattern_finds_paths_and_sections() -> None:
    text = 'see docs/metrics.md §5 and (`docs/benchmark.md`, "Findings"); serving/README.md; ../README.md'
    assert mentions(text) == [
        ("docs/metrics.md", "5", None),
        ("docs/benchmark.md", None, "Findings"),
        ("serving/README.md", None, None),
        ("../README.md", None, None),
    ]


def test_every_mentioned_document_and_section_exists() -> None:
    assert broken_mentions() == []
