"""Attributes of a FlowFile at the end of the pipeline, as RecordResult sees them (test data)."""

from __future__ import annotations

import uuid

from audio_pipeline import attributes as attr


def flowfile(name: str = "song.mp3", **extra: str) -> dict[str, str]:
    """A decoded 12.5 s stereo MP3 from the inbox; `extra` adds or overrides attributes."""
    attributes = {
        "uuid": str(uuid.uuid4()),
        attr.FILENAME: name,
        attr.SOURCE: "folder",
        attr.FORMAT: "mp3",
        attr.SHA256: "ab" * 32,
        attr.DURATION_SECONDS: "12.5",
        attr.ORIGINAL_SAMPLE_RATE: "44100",
        attr.ORIGINAL_CHANNELS: "2",
        attr.SAMPLE_RATE: "16000",
        attr.CHANNELS: "1",
    }
    attributes.update(extra)
    return attributes
