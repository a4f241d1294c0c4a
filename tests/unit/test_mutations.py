"""The mutation corpus is what it says: every kind of damage, reproducible, none the original."""

from __future__ import annotations

from support.mutations import BIT_FLIP_VARIANTS, HEADER_EDIT_VARIANTS, TRUNCATIONS, mutations


def test_every_variant_is_damaged_and_reproducible() -> None:
    data = bytes(range(256)) * 40
    variants = list(mutations("x.wav", data))
    assert len(variants) == len(TRUNCATIONS) + BIT_FLIP_VARIANTS + HEADER_EDIT_VARIANTS
    assert all(body != data for _, body in variants)
    assert len({name for name, _ in variants}) == len(variants)
    assert variants == list(mutations("x.wav", data))
    assert [len(b) for n, b in variants if ".cut" in n] == [int(len(data) * k) for k in TRUNCATIONS]
