"""The libsndfile back end: a container without samples."""

from __future__ import annotations

from support.decoder_inputs import decode_error_code, wav_header


def test_wav_without_frames_is_empty() -> None:
    assert decode_error_code(wav_header(8000, 1, frames=0)) == "empty_input"
