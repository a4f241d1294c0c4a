"""Damaged copies of valid audio files, the way files get damaged in transit and on disk: cut short,
bits flipped, header bytes overwritten. Deterministic (seeded), so a failure names a reproducible
input; used to push a mutation corpus through the running flow."""

from __future__ import annotations

import random
from collections.abc import Iterator

HEADER_BYTES = 64  # where containers keep rates, sizes and signatures
TRUNCATIONS = (0.0, 0.02, 0.1, 0.5, 0.9, 0.999)  # fractions of the file kept
BIT_FLIP_VARIANTS = 8
HEADER_EDIT_VARIANTS = 8


def mutations(name: str, data: bytes, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every damaged variant of `data`: truncations, bit flips anywhere, header edits."""
    rng = random.Random(f"{name}:{seed}")
    for kept in TRUNCATIONS:
        yield f"{name}.cut{int(kept * 1000):04d}", data[: int(len(data) * kept)]
    for i in range(BIT_FLIP_VARIANTS):
        flipped = bytearray(data)
        for _ in range(1 + i):  # 1 to 8 flipped bits
            position = rng.randrange(len(flipped))
            flipped[position] ^= 1 << rng.randrange(8)
        yield f"{name}.flip{i}", bytes(flipped)
    for i in range(HEADER_EDIT_VARIANTS):
        edited = bytearray(data)
        end = min(HEADER_BYTES, len(edited))
        start = rng.randrange(end)
        width = rng.randint(1, 4)
        fill = (b"\x00", b"\xff", bytes([rng.randrange(256)]))[i % 3]
        edited[start : start + width] = fill * len(edited[start : start + width])
        yield f"{name}.head{i}", bytes(edited)
