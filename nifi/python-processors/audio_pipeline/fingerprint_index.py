"""The catalog index: which known track an excerpt comes from, and which earlier file a file duplicates.

Two jobs, two fingerprints (see docs on fingerprinting): landmark hashes (`landmarks.py`) find
excerpts of catalog tracks; Chromaprint (`chromaprint.py`) recognises whole files seen before,
re-encoded or not. Both live in the pipeline database (`database.py`), so every NiFi processor
process sees the same catalog and concurrent writers are safe.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from audio_pipeline import attributes as attr
from audio_pipeline import chromaprint, landmarks
from audio_pipeline.database import Cursor, Database, DatabaseError, open_database, utc_now
from audio_pipeline.landmarks import DEFAULT_PARAMS, LandmarkParams

# Decision thresholds, tuned with bench/fingerprint_accuracy.py. Scores count query frames
# whose landmarks agree on one time offset. With 1,000 indexed tracks a 5 s excerpt under 0 dB
# white noise still scores ≥ ~13, while excerpts from outside the catalog top out around 10-13
# with a runner-up close behind; the relative margin is what separates those.
MIN_HITS = 12  # time-consistent query frames needed at all
MIN_MARGIN = 1.75  # best track must score this many times the runner-up
DUPLICATE_MIN_LENGTH_RATIO = 0.8  # a 5 s excerpt of a 3 min file is not a duplicate of it
DUPLICATE_MIN_KEY_FRACTION = 0.1  # candidates must share this fraction of lookup keys
DUPLICATE_CANDIDATES = 10
INSERT_BATCH = 50_000

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS fp_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS fp_tracks (
        id {id},
        track_id TEXT NOT NULL UNIQUE,
        duration {float} NOT NULL,
        hashes INTEGER NOT NULL,
        registered_at {timestamp} NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS fp_landmarks (
        hash INTEGER NOT NULL,
        track INTEGER NOT NULL,
        t INTEGER NOT NULL,
        PRIMARY KEY (hash, track, t)
    ) {without_rowid}""",
    "CREATE INDEX IF NOT EXISTS fp_landmarks_track ON fp_landmarks (track)",
    """CREATE TABLE IF NOT EXISTS fp_files (
        id {id},
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        items INTEGER NOT NULL,
        simhash {bigint} NOT NULL,
        created_at {timestamp} NOT NULL,
        UNIQUE (name, sha256)
    )""",
    "CREATE INDEX IF NOT EXISTS fp_files_sha256 ON fp_files (sha256)",
    """CREATE TABLE IF NOT EXISTS fp_file_keys (
        key {bigint} NOT NULL,
        file {bigint} NOT NULL,
        PRIMARY KEY (key, file)
    ) {without_rowid}""",
)


@dataclass(frozen=True)
class Match:
    """A catalog hit: `offset_seconds` is where in the track the query starts."""

    track_id: str
    score: int  # query frames whose landmarks agree on the offset
    offset_seconds: float
    confidence: float  # score / query frames with landmarks: comparable across query lengths
    runner_up: int  # best score of any other track (the margin test's denominator)


@dataclass(frozen=True)
class FingerprintOutcome:
    """The fingerprint step's outcome for one file: its identity, the file it duplicates, its catalog match."""

    chromaprint: str  # encoded Chromaprint fingerprint
    duplicate_of: str | None  # the earlier file's name, None when the file is new
    match: Match | None  # None when no catalog track matches

    def to_attributes(self) -> dict[str, str]:
        """Attribute values keyed by the shared attribute names; no match gives score "0", other fields ""."""
        match = self.match
        return {
            attr.FINGERPRINT_CHROMAPRINT: self.chromaprint,
            attr.DUPLICATE_OF: self.duplicate_of or "",
            attr.FINGERPRINT_MATCH: match.track_id if match else "",
            attr.FINGERPRINT_SCORE: f"{match.confidence:.3f}" if match else "0",
            attr.FINGERPRINT_OFFSET_SECONDS: f"{match.offset_seconds:.2f}" if match else "",
        }


@dataclass(frozen=True)
class CatalogRegistration:
    """A catalog track added to (or replaced in) the landmark index."""

    track_id: str
    hashes: int  # landmark hashes stored for it

    def to_attributes(self) -> dict[str, str]:
        return {attr.CATALOG_TRACK_ID: self.track_id, attr.CATALOG_HASHES: str(self.hashes)}


class FingerprintIndex:
    """Landmark catalog plus Chromaprint duplicate memory on one `Database`."""

    def __init__(
        self,
        db: Database,
        params: LandmarkParams = DEFAULT_PARAMS,
        min_hits: int = MIN_HITS,
        min_margin: float = MIN_MARGIN,
    ) -> None:
        self.db = db
        self.params = params
        self.min_hits = min_hits
        self.min_margin = min_margin
        self._params_checked = False
        db.ensure_schema("fingerprint_index", SCHEMA)

    @classmethod
    def open(cls, url: str = "", data_dir: Path | str | None = None, **kwargs: object) -> FingerprintIndex:
        return cls(open_database(url, data_dir), **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------------- landmark catalog

    def _params_text(self) -> str:
        return json.dumps(asdict(self.params), sort_keys=True)

    def _check_params(self, cur: Cursor, claim: bool) -> None:
        """Refuse to mix hashes made with different landmark parameters (they would never match)."""
        if self._params_checked:
            return
        cur.execute("SELECT value FROM fp_meta WHERE name = 'landmark_params'")
        row = cur.fetchone()
        if row is None and claim:
            cur.execute(
                "INSERT INTO fp_meta (name, value) VALUES ('landmark_params', ?) ON CONFLICT (name) DO NOTHING",
                (self._params_text(),),
            )
            cur.execute("SELECT value FROM fp_meta WHERE name = 'landmark_params'")
            row = cur.fetchone()
        if row is None:
            return  # empty index, nothing to compare with yet
        if json.loads(row[0]) != asdict(self.params):
            raise DatabaseError(
                "the fingerprint index was built with other landmark parameters; "
                "clear it (drop the fp_* tables) and register the catalog again"
            )
        self._params_checked = True

    def register_track(self, track_id: str, samples: np.ndarray, rate: int) -> int:
        """Add (or replace) a catalog track; returns how many landmark hashes it stored."""
        if not track_id:
            raise ValueError("track_id must not be empty")
        marks = landmarks.landmarks(samples, rate, self.params)
        # One row per (hash, time): duplicates would only inflate one offset bin.
        combined = np.unique((marks.hashes << 32) | marks.times)
        hashes = combined >> 32
        times = combined & 0xFFFFFFFF

        def store(cur: Cursor) -> int:
            self._check_params(cur, claim=True)
            cur.execute(
                "INSERT INTO fp_tracks (track_id, duration, hashes, registered_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (track_id) DO UPDATE SET duration = excluded.duration, "
                "hashes = excluded.hashes, registered_at = excluded.registered_at RETURNING id",
                (track_id, marks.duration, len(hashes), self.db.timestamp(utc_now())),
            )
            row = cur.fetchone()
            assert row is not None
            internal = int(row[0])
            cur.execute("DELETE FROM fp_landmarks WHERE track = ?", (internal,))
            for start in range(0, len(hashes), INSERT_BATCH):  # bounded memory for long tracks
                part = slice(start, start + INSERT_BATCH)
                track_col = np.full(len(hashes[part]), internal, dtype=np.int64)
                cur.copy_ints(
                    "fp_landmarks",
                    ("hash", "track", "t"),
                    np.stack([hashes[part], track_col, times[part]], axis=1).tolist(),
                )
            return internal

        internal = self.db.write(store)
        self._refresh_statistics(internal)
        return len(hashes)

    def _refresh_statistics(self, internal_id: int) -> None:
        """PostgreSQL: VACUUM ANALYZE as the catalog grows (at 16, 32, 64, … tracks, then every 1,000).

        Autovacuum gets there within a minute or so; until then a freshly filled table keeps the
        planner statistics of an empty one, and lookups cannot use index-only scans (the visibility
        map is unset), which doubles query time.
        """
        if self.db.dialect != "postgresql":
            return
        if (internal_id >= 16 and internal_id & (internal_id - 1) == 0) or internal_id % 1000 == 0:
            self.db.maintenance("VACUUM (ANALYZE) fp_landmarks")

    def remove_track(self, track_id: str) -> bool:
        """Forget a catalog track; False when it was not registered."""

        def remove(cur: Cursor) -> bool:
            cur.execute("SELECT id FROM fp_tracks WHERE track_id = ?", (track_id,))
            row = cur.fetchone()
            if row is None:
                return False
            cur.execute("DELETE FROM fp_landmarks WHERE track = ?", (row[0],))
            cur.execute("DELETE FROM fp_tracks WHERE id = ?", (row[0],))
            return True

        return self.db.write(remove)

    def tracks(self) -> list[str]:
        """Registered track ids, sorted."""
        return self.db.read(
            lambda cur: [r[0] for r in cur.execute("SELECT track_id FROM fp_tracks ORDER BY track_id").fetchall()]
        )

    def candidates(self, samples: np.ndarray, rate: int, limit: int = 5) -> list[Match]:
        """Best-scoring tracks for a query, without any threshold (diagnostics, tuning)."""
        marks = landmarks.landmarks(samples, rate, self.params)
        if len(marks) == 0:
            return []
        wanted = np.unique(marks.hashes).tolist()

        def lookup(cur: Cursor) -> tuple[list[tuple[int, int, int]], dict[int, str]]:
            self._check_params(cur, claim=False)
            if self.db.dialect == "postgresql":
                # A join against the unnested array plans as one index probe per hash even when the
                # table statistics are stale (right after bulk registration), where `= ANY` can
                # turn into a sequential scan.
                rows = cur.execute(
                    "SELECT l.hash, l.track, l.t FROM unnest(?::integer[]) AS q(hash) "
                    "JOIN fp_landmarks l ON l.hash = q.hash",
                    (wanted,),
                ).fetchall()
            else:
                rows = cur.select_in("SELECT hash, track, t FROM fp_landmarks WHERE hash IN {values}", wanted)
            if not rows:
                return [], {}
            arr = np.asarray(rows, dtype=np.int64)
            scored = landmarks.score_offsets(marks.hashes, marks.times, arr[:, 0], arr[:, 1], arr[:, 2])
            top = scored.tracks[: limit + 1].tolist()
            names = dict(cur.select_in("SELECT id, track_id FROM fp_tracks WHERE id IN {values}", top))
            return [
                (int(t), int(c), int(o))
                for t, c, o in zip(
                    scored.tracks[: limit + 1], scored.counts[: limit + 1], scored.offsets[: limit + 1], strict=True
                )
            ], names

        ranked, names = self.db.read(lookup)
        # A track re-registered between the two selects can be missing from `names`: skip it.
        ranked = [r for r in ranked if r[0] in names]
        out: list[Match] = []
        for i, (track, count, offset) in enumerate(ranked[:limit]):
            runner_up = ranked[1][1] if i == 0 and len(ranked) > 1 else (ranked[0][1] if i else 0)
            out.append(
                Match(
                    track_id=names[track],
                    score=count,
                    offset_seconds=round(offset * self.params.seconds_per_frame, 3),
                    confidence=round(count / max(1, len(np.unique(marks.times))), 4),
                    runner_up=runner_up,
                )
            )
        return out

    def match(self, samples: np.ndarray, rate: int) -> Match | None:
        """The catalog track this audio comes from, or None when it is not in the catalog."""
        found = self.candidates(samples, rate, limit=2)
        if not found:
            return None
        best = found[0]
        if best.score < self.min_hits or best.score < self.min_margin * best.runner_up:
            return None
        return best

    # ------------------------------------------------------------------------- duplicate files

    def find_duplicate(self, fingerprint: str, sha256: str, name: str) -> str | None:
        """Name of an earlier file with the same content (bytes or audio), other than `name` itself."""
        return self.db.read(lambda cur: self._find_duplicate(cur, fingerprint, sha256, name))

    def remember(self, fingerprint: str, sha256: str, name: str) -> None:
        """Store a file for later duplicate lookups; remembering the same (name, sha256) twice is a no-op."""
        self.db.write(lambda cur: self._remember(cur, fingerprint, sha256, name))

    def check_duplicate(self, fingerprint: str, sha256: str, name: str) -> str | None:
        """`find_duplicate` then `remember`, atomically: two copies arriving together cannot both pass."""

        def both(cur: Cursor) -> str | None:
            if self.db.dialect == "postgresql":
                cur.execute("SELECT pg_advisory_xact_lock(?)", (0x66705F66,))  # serialise duplicate checks
            earlier = self._find_duplicate(cur, fingerprint, sha256, name)
            self._remember(cur, fingerprint, sha256, name)
            return earlier

        return self.db.write(both)

    def _find_duplicate(self, cur: Cursor, fingerprint: str, sha256: str, name: str) -> str | None:
        cur.execute("SELECT name FROM fp_files WHERE sha256 = ? AND name <> ? ORDER BY id LIMIT 1", (sha256, name))
        row = cur.fetchone()
        if row is not None:
            return str(row[0])
        raw = chromaprint.decode(fingerprint) if fingerprint else np.zeros(0, np.uint32)
        keys = chromaprint.lookup_keys(raw)
        if len(raw) < chromaprint.MIN_OVERLAP_ITEMS or len(np.unique(raw)) < 4 or not keys:
            return None  # silence or a blip: too little information to call two files the same
        counted = cur.select_in("SELECT file, COUNT(*) FROM fp_file_keys WHERE key IN {values} GROUP BY file", keys)
        need = max(2, int(DUPLICATE_MIN_KEY_FRACTION * len(keys)))
        ranked = sorted((fc for fc in counted if fc[1] >= need), key=lambda fc: -fc[1])
        chosen = [int(f) for f, _ in ranked[:DUPLICATE_CANDIDATES]]
        if not chosen:
            return None
        # verify the strongest candidates, earliest file first
        rows = cur.select_in(
            "SELECT id, name, fingerprint, items FROM fp_files WHERE id IN {values} ORDER BY id", chosen
        )
        for _, other_name, other_fp, items in rows:
            if other_name == name:
                continue
            if min(items, len(raw)) < DUPLICATE_MIN_LENGTH_RATIO * max(items, len(raw)):
                continue
            if chromaprint.same_audio(raw, chromaprint.decode(other_fp)):
                return str(other_name)
        return None

    def _remember(self, cur: Cursor, fingerprint: str, sha256: str, name: str) -> None:
        raw = chromaprint.decode(fingerprint) if fingerprint else np.zeros(0, np.uint32)
        cur.execute(
            "INSERT INTO fp_files (name, sha256, fingerprint, items, simhash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, sha256) DO NOTHING RETURNING id",
            (name, sha256, fingerprint, len(raw), chromaprint.compact_hash(raw), self.db.timestamp(utc_now())),
        )
        row = cur.fetchone()
        if row is None:
            return  # already remembered
        keys = chromaprint.lookup_keys(raw)
        cur.copy_ints("fp_file_keys", ("key", "file"), [(k, int(row[0])) for k in keys])
