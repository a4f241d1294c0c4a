"""The `results` table: one row per FlowFile that finished the flow, ok or quarantined.

Rows are keyed by the FlowFile uuid and written with an upsert, so NiFi re-delivering the same
FlowFile (after a restart or a retried session) updates its row instead of adding a second one.
Everything is built from FlowFile attributes (names in `attributes.py`); values that are absent or
unparsable become NULL rather than failing the write, because the row is the audit trail.

Columns added after the first release (`ADDED_COLUMNS`: the loudness of issue #16, the transcript
of #17) are also in the CREATE TABLE of a new database; a table made by an older version gets them
on open (`Database.ensure_schema`, idempotent and safe with several processes opening the store at
once), and then the transcript's full-text search (`results_search`). A transcribed file without
words has the transcript "" (and 0 words), one that was not transcribed NULL.
`loudness_compliant` is INTEGER 1/0 (NULL: not measured) rather than BOOLEAN: SQLite has no boolean
type and returns ints while psycopg returns bools for PostgreSQL BOOLEAN, and `= 1` would not even
compare with a PostgreSQL boolean; 0/1 keeps one SQL text and one Python value for both dialects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audio_pipeline import attributes as attr
from audio_pipeline import results_search
from audio_pipeline.database import Cursor, Database, open_database, utc_now

# NiFi's core attribute (CoreAttributes.UUID): every FlowFile has it. Not in attributes.py, which
# lists the pipeline's own names.
UUID = "uuid"

STATUSES = attr.STATUSES
SOURCES = attr.SOURCES

# Columns newer than the original table: (name, type with the `ddl` tokens), added to older tables on open.
ADDED_COLUMNS = (
    ("loudness_integrated_lufs", "{float}"),
    ("loudness_range_lu", "{float}"),
    ("loudness_momentary_max_lufs", "{float}"),
    ("loudness_short_term_max_lufs", "{float}"),
    ("loudness_true_peak_dbtp", "{float}"),
    ("loudness_profile", "TEXT"),
    ("loudness_compliant", "INTEGER CHECK (loudness_compliant IN (0, 1))"),
    ("loudness_gain_db", "{float}"),
    ("transcript", "TEXT"),
    ("transcript_language", "TEXT"),
    ("transcript_language_probability", "{float}"),
    ("transcript_words", "INTEGER"),
    ("transcript_model", "TEXT"),
    ("transcript_model_version", "TEXT"),
)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS results (
        id {id},
        flowfile_uuid TEXT NOT NULL UNIQUE,
        filename TEXT,
        source TEXT,
        format TEXT,
        sha256 TEXT,
        duration_seconds {float},
        sample_rate INTEGER,
        channels INTEGER,
        audio_class TEXT,
        class_confidence {float},
        pesq_mos {float},
        quality_label TEXT,
        fingerprint_match TEXT,
        fingerprint_score {float},
        fingerprint_offset_seconds {float},
        duplicate_of TEXT,
        """
    + "".join(f"{name} {kind},\n        " for name, kind in ADDED_COLUMNS)
    + """status TEXT NOT NULL CHECK (status IN ('ok', 'quarantined')),
        error TEXT,
        created_at {timestamp} NOT NULL,
        updated_at {timestamp} NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS results_created_at ON results (created_at)",
    "CREATE INDEX IF NOT EXISTS results_status_created_at ON results (status, created_at)",
)


@dataclass(frozen=True)
class Result:
    """One row of `results`."""

    flowfile_uuid: str
    filename: str | None
    source: str | None
    format: str | None
    sha256: str | None
    duration_seconds: float | None
    sample_rate: int | None
    channels: int | None
    audio_class: str | None
    class_confidence: float | None
    pesq_mos: float | None
    quality_label: str | None
    fingerprint_match: str | None
    fingerprint_score: float | None
    fingerprint_offset_seconds: float | None
    duplicate_of: str | None
    loudness_integrated_lufs: float | None
    loudness_range_lu: float | None
    loudness_momentary_max_lufs: float | None
    loudness_short_term_max_lufs: float | None
    loudness_true_peak_dbtp: float | None
    loudness_profile: str | None
    loudness_compliant: bool | None
    loudness_gain_db: float | None
    transcript: str | None
    transcript_language: str | None
    transcript_language_probability: float | None
    transcript_words: int | None
    transcript_model: str | None
    transcript_model_version: str | None
    status: str
    error: str | None
    created_at: datetime
    updated_at: datetime

    def to_attributes(self) -> dict[str, str]:
        """What the recording step tells the FlowFile: the status its row was recorded with."""
        return {attr.STATUS: self.status}

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


COLUMNS = tuple(f.name for f in fields(Result))
_DATA_COLUMNS = tuple(c for c in COLUMNS if c not in ("flowfile_uuid", "status", "error", "created_at", "updated_at"))


def _text(attributes: Mapping[str, str], name: str) -> str | None:
    value = attributes.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _verbatim(attributes: Mapping[str, str], name: str) -> str | None:
    """The value as it is, "" included (a transcript without words is not a missing one)."""
    value = attributes.get(name)
    return None if value is None else str(value).strip()


def _float(attributes: Mapping[str, str], name: str) -> float | None:
    value = _text(attributes, name)
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _int(attributes: Mapping[str, str], *names: str) -> int | None:
    """The first of `names` that holds a whole number."""
    for name in names:
        number = _float(attributes, name)
        if number is not None and number.is_integer():
            return int(number)
    return None


def _flag(attributes: Mapping[str, str], name: str) -> int | None:
    """1 for "true", 0 for "false" (any case), None otherwise: the stored form of a yes/no attribute."""
    value = (_text(attributes, name) or "").lower()
    return {"true": 1, "false": 0}.get(value)


def row_from_attributes(attributes: Mapping[str, str], status: str, error: str | None = None) -> dict[str, Any]:
    """Column values for a FlowFile; the file's own rate and channels, not the analysis form's."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    uuid = _text(attributes, UUID)
    if uuid is None:
        raise ValueError(f"FlowFile attributes have no {UUID!r}")
    if error is None:
        code, detail = _text(attributes, attr.ERROR), _text(attributes, attr.ERROR_DETAIL)
        error = f"{code}: {detail}" if code and detail else (code or detail)
    return {
        "flowfile_uuid": uuid,
        "filename": _text(attributes, attr.FILENAME),
        "source": _text(attributes, attr.SOURCE),
        "format": _text(attributes, attr.FORMAT),
        "sha256": _text(attributes, attr.SHA256),
        "duration_seconds": _float(attributes, attr.DURATION_SECONDS),
        "sample_rate": _int(attributes, attr.ORIGINAL_SAMPLE_RATE, attr.SAMPLE_RATE),
        "channels": _int(attributes, attr.ORIGINAL_CHANNELS, attr.CHANNELS),
        "audio_class": _text(attributes, attr.CLASS),
        "class_confidence": _float(attributes, attr.CLASS_CONFIDENCE),
        "pesq_mos": _float(attributes, attr.PESQ_MOS),
        "quality_label": _text(attributes, attr.QUALITY_LABEL),
        "fingerprint_match": _text(attributes, attr.FINGERPRINT_MATCH),
        "fingerprint_score": _float(attributes, attr.FINGERPRINT_SCORE),
        "fingerprint_offset_seconds": _float(attributes, attr.FINGERPRINT_OFFSET_SECONDS),
        "duplicate_of": _text(attributes, attr.DUPLICATE_OF),
        "loudness_integrated_lufs": _float(attributes, attr.LOUDNESS_INTEGRATED_LUFS),
        "loudness_range_lu": _float(attributes, attr.LOUDNESS_RANGE_LU),
        "loudness_momentary_max_lufs": _float(attributes, attr.LOUDNESS_MOMENTARY_MAX_LUFS),
        "loudness_short_term_max_lufs": _float(attributes, attr.LOUDNESS_SHORT_TERM_MAX_LUFS),
        "loudness_true_peak_dbtp": _float(attributes, attr.LOUDNESS_TRUE_PEAK_DBTP),
        "loudness_profile": _text(attributes, attr.LOUDNESS_PROFILE),
        "loudness_compliant": _flag(attributes, attr.LOUDNESS_COMPLIANT),
        "loudness_gain_db": _float(attributes, attr.LOUDNESS_GAIN_DB),
        "transcript": _verbatim(attributes, attr.TRANSCRIPT),
        "transcript_language": _text(attributes, attr.TRANSCRIPT_LANGUAGE),
        "transcript_language_probability": _float(attributes, attr.TRANSCRIPT_LANGUAGE_PROBABILITY),
        "transcript_words": _int(attributes, attr.TRANSCRIPT_WORDS),
        "transcript_model": _text(attributes, attr.TRANSCRIPT_MODEL),
        "transcript_model_version": _text(attributes, attr.TRANSCRIPT_MODEL_VERSION),
        "status": status,
        "error": error,
    }


class ResultsStore:
    """Read and write `results` on a `Database` (SQLite file or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(
            "results", SCHEMA, added_columns={"results": ADDED_COLUMNS}, after_columns=results_search.SCHEMA[db.dialect]
        )

    @classmethod
    def open(cls, url: str = "", data_dir: Path | str | None = None) -> ResultsStore:
        return cls(open_database(url, data_dir))

    def close(self) -> None:
        self.db.close()

    def _result(self, row: tuple[Any, ...]) -> Result:
        values = dict(zip(COLUMNS, row, strict=True))
        for name in ("created_at", "updated_at"):
            stamp = Database.parse_timestamp(values[name])
            assert stamp is not None
            values[name] = stamp.astimezone(UTC)
        if values["loudness_compliant"] is not None:
            values["loudness_compliant"] = bool(values["loudness_compliant"])
        return Result(**values)

    def record(self, attributes: Mapping[str, str], status: str, error: str | None = None) -> Result:
        """Insert or update the row of this FlowFile (by uuid) and return it.

        On re-delivery the new values win, except that an attribute missing now does not erase a
        value recorded earlier; `created_at` stays the first delivery's.
        """
        row = row_from_attributes(attributes, status, error)
        now = self.db.timestamp(utc_now())
        row["created_at"] = now
        row["updated_at"] = now
        names = list(row)
        updates = [f"{c} = COALESCE(excluded.{c}, results.{c})" for c in _DATA_COLUMNS]
        updates += ["status = excluded.status", "error = excluded.error", "updated_at = excluded.updated_at"]
        sql = (
            f"INSERT INTO results ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
            f"ON CONFLICT (flowfile_uuid) DO UPDATE SET {', '.join(updates)} "
            f"RETURNING {', '.join(COLUMNS)}"
        )

        def upsert(cur: Cursor) -> tuple[Any, ...]:
            cur.execute(sql, [row[n] for n in names])
            stored = cur.fetchone()
            assert stored is not None
            return stored

        return self._result(self.db.write(upsert))

    def get(self, flowfile_uuid: str) -> Result | None:
        def fetch(cur: Cursor) -> tuple[Any, ...] | None:
            return cur.execute(
                f"SELECT {', '.join(COLUMNS)} FROM results WHERE flowfile_uuid = ?", (flowfile_uuid,)
            ).fetchone()

        row = self.db.read(fetch)
        return self._result(row) if row is not None else None

    def recent(
        self,
        limit: int = 50,
        status: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        filename_like: str | None = None,
        compliant: bool | None = None,
        text: str | None = None,
    ) -> list[Result]:
        """Newest rows first, filtered.

        `filename_like` is a case-insensitive SQL LIKE pattern (% any run, _ one character,
        backslash escapes them). `compliant` True/False keeps the rows whose loudness was measured
        and met/missed its profile (rows without a loudness verdict match neither). `text` keeps
        the rows whose transcript holds all of its words (full-text search, `results_search`).
        """
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if source is not None:
            where.append("source = ?")
            params.append(source)
        if since is not None:
            if since.tzinfo is None:
                since = since.astimezone()  # naive means local time, like the CLI's input
            where.append("created_at >= ?")
            params.append(self.db.timestamp(since))
        if filename_like:
            # SQLite's LIKE ignores ASCII case; ILIKE does the same on PostgreSQL.
            operator = "ILIKE" if self.db.dialect == "postgresql" else "LIKE"
            where.append(f"filename {operator} ? ESCAPE '\\'")
            params.append(filename_like)
        if compliant is not None:
            where.append("loudness_compliant = ?")
            params.append(int(compliant))
        if text is not None:
            condition, values = results_search.condition(self.db.dialect, text)
            where.append(condition)
            params.extend(values)
        sql = f"SELECT {', '.join(COLUMNS)} FROM results"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(max(0, int(limit)))
        rows = self.db.read(lambda cur: cur.execute(sql, params).fetchall())
        return [self._result(r) for r in rows]
