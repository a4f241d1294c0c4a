"""Real recordings from Debian packages: which packages, how files are labelled, fetching with apt-get.

Training and real-recording evaluation use disjoint package sets, and no package listed in the
project's evaluation-reserved file (shared/eval-reserved.txt) is ever fetched or read.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from serving.model_contract import BUILD_DIR, REPO_ROOT

# Used when the shared reserved list is not on this machine; the file, when present, is authoritative too.
RESERVED_FALLBACK = frozenset(
    {
        "alsa-utils",
        "asc-music",
        "asterisk-core-sounds-en-wav",
        "asterisk-moh-opsound-wav",
        "asterisk-prompt-fr-armelle",
        "chromium-bsu-data",
        "codec2-examples",
        "extremetuxracer-data",
        "fretsonfire-songs-muldjord",
        "frozen-bubble-data",
        "pingus-data",
        "pocketsphinx-testdata",
        "singularity-music",
        "sound-theme-freedesktop",
        "wesnoth-1.16-music",
    }
)
AUDIO_SUFFIXES = (".wav", ".ogg", ".mp3", ".flac", ".mkv", ".oga", ".opus")


def _asterisk(rel: str) -> str | None:
    name = Path(rel).name
    if "/silence/" in rel:
        return "silence"
    if re.match(r"(beep|beeperr|ascending-2tone|descending-2tone|confbridge-join|confbridge-leave)\.wav$", name):
        return "tone"
    if name == "tt-monkeys.wav":
        return "noise"
    return "speech"


def _game(rel: str) -> str | None:
    """Game data: background music is music, short sound effects are noise."""
    if rel.endswith(".ogg"):
        return "music"
    return "noise" if rel.endswith(".wav") else None


def _lbreakout(rel: str) -> str | None:
    """LBreakout2: a few voice samples, the rest are sound effects."""
    if not rel.endswith(".wav"):
        return None
    voices = ("dammit.wav", "damn.wav", "excellent.wav", "verygood.wav", "wontgiveup.wav")
    return "speech" if Path(rel).name in voices else "noise"


def _linphone(rel: str) -> str | None:
    name = Path(rel).name
    if name.startswith("hello"):
        return "speech"
    if name == "ringback.wav":
        return "tone"
    if name == "silence.mkv":
        return "silence"
    if "/rings/" in rel and name.endswith(".mkv"):
        return "music"
    return None


def _twinkle(rel: str) -> str | None:
    return "tone" if Path(rel).name in ("ringback.wav", "ringtone.wav") else None


LabelRule = Callable[[str], "str | None"]

TRAIN_PACKAGES: dict[str, LabelRule] = {
    "asterisk-core-sounds-es-wav": _asterisk,
    "asterisk-core-sounds-it-wav": _asterisk,
    "a7xpg-data": _game,
    "parsec47-data": _game,
    "rrootage-data": _game,
    "gunroar-data": _game,
    "lincity-ng-data": _game,
    "powermanga-data": _game,
    "lbreakout2-data": _lbreakout,
    "barrage": _game,
    "briquolo-data": _game,
}
EVAL_PACKAGES: dict[str, LabelRule] = {
    "asterisk-core-sounds-fr-wav": _asterisk,
    "asterisk-core-sounds-ru-wav": _asterisk,
    "torus-trooper-data": _game,
    "titanion-data": _game,
    "mu-cade-data": _game,
    "tumiki-fighters-data": _game,
    "linphone-common": _linphone,
    "twinkle-common": _twinkle,
}


def reserved_packages() -> frozenset[str]:
    """Packages whose recordings must never be used (shared list plus the built-in copy)."""
    names = set(RESERVED_FALLBACK)
    for candidate in (os.environ.get("EVAL_RESERVED_FILE", ""), str(REPO_ROOT.parent / "shared" / "eval-reserved.txt")):
        if candidate and Path(candidate).is_file():
            for line in Path(candidate).read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    names.add(line)
    return frozenset(names)


def check_not_reserved(packages: list[str] | tuple[str, ...]) -> None:
    """Refuse outright to touch a reserved package."""
    bad = sorted(set(packages) & reserved_packages())
    if bad:
        raise RuntimeError(f"evaluation-reserved packages must not be used: {bad}")


def fetch(packages: list[str] | tuple[str, ...], root: Path = BUILD_DIR / "debian-audio") -> dict[str, Path]:
    """Download (apt-get download, no install) and unpack each package under `root`; return their dirs."""
    check_not_reserved(packages)
    debs = root / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    dirs: dict[str, Path] = {}
    for pkg in packages:
        target = root / pkg
        if not (target / ".unpacked").exists():
            found = sorted(debs.glob(f"{pkg}_*.deb"))
            if not found:
                subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True, capture_output=True)
                found = sorted(debs.glob(f"{pkg}_*.deb"))
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(target)], check=True)
            (target / ".unpacked").touch()
        dirs[pkg] = target
    return dirs


def labelled_files(
    packages: dict[str, LabelRule], root: Path = BUILD_DIR / "debian-audio"
) -> list[tuple[str, Path, str]]:
    """(package, file, label) for every audio file a rule labels, sorted for determinism."""
    dirs = fetch(tuple(packages), root)
    out: list[tuple[str, Path, str]] = []
    for pkg, rule in packages.items():
        for path in sorted(dirs[pkg].rglob("*")):
            if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES and "/doc/" not in str(path):
                label = rule("/" + str(path.relative_to(dirs[pkg])))
                if label is not None:
                    out.append((pkg, path, label))
    return out
