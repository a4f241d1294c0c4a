"""One connection and dialect layer for the fingerprint index and the results store.

SQLite (a file in the data dir, WAL mode, busy timeout) by default, PostgreSQL (psycopg 3) when a
``postgresql://`` URL is given. NiFi runs one Python process per processor instance, so several
processes write at once: every write runs in a transaction that takes the write lock up front
(SQLite ``BEGIN IMMEDIATE``) and is retried on transient lock/serialisation errors.

SQL is written once with ``?`` placeholders; `Database` rewrites them for psycopg.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from audio_pipeline.errors import DatabaseError

Dialect = Literal["sqlite", "postgresql"]
T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
WRITE_RETRIES = 5


def default_sqlite_path(data_dir: Path | str) -> Path:
    """Where the pipeline's SQLite database lives when no URL is configured."""
    return Path(data_dir) / "state" / "pipeline.db"


def open_database(url: str = "", data_dir: Path | str | None = None) -> Database:
    """Open the configured database: `url` (postgresql://…, sqlite:///path) or SQLite in `data_dir`."""
    url = (url or "").strip()
    if url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        return Database(url)
    if url:
        raise DatabaseError(f"unsupported database URL {redact(url)!r}: use postgresql://… or sqlite:///…")
    if data_dir is None:
        raise DatabaseError("no database URL and no data dir to put the SQLite file in")
    return Database(f"sqlite:///{default_sqlite_path(data_dir)}")


def redact(url: str) -> str:
    """The URL without its password, for logs and errors."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def utc_now() -> datetime:
    return datetime.now(UTC)


class Database:
    """A lazily (re)connected connection, safe to share between threads and across fork().

    Use `read()` for queries and `write(fn)` for changes; `fn` receives a `Cursor` and may be
    retried, so it must not have side effects outside the database.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect: Dialect = "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        self.path: Path | None = None
        if self.dialect == "sqlite":
            self.path = Path(url.removeprefix("sqlite:///")) if url != "sqlite:///:memory:" else None
            if self.path is not None and not self.path.is_absolute():
                self.path = self.path.resolve()
        self._conn: Any = None
        self._pid = -1
        self._lock = threading.RLock()
        self._schemas: set[str] = set()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"

    # ----------------------------------------------------------------------------- connection

    def _connection(self) -> Any:
        if self._conn is not None and self._pid == os.getpid():
            if self.dialect == "postgresql" and (self._conn.closed or self._conn.broken):
                self._conn = None
            else:
                return self._conn
        self._conn = None  # inherited across fork: never touch the parent's socket or file handle
        self._conn = self._connect_sqlite() if self.dialect == "sqlite" else self._connect_postgresql()
        self._pid = os.getpid()
        return self._conn

    def _connect_sqlite(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        for attempt in range(WRITE_RETRIES):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError:
                if attempt == WRITE_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL never corrupt; a power cut may undo the last commits
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _connect_postgresql(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is pinned in processors.txt
            raise DatabaseError("PostgreSQL needs psycopg (requirements/processors.txt)") from exc
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name="audio-pipeline")
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to {redact(self.url)}: {exc}") from exc

    def close_quietly(self) -> None:
        """Drop a broken connection so the next call reconnects."""
        try:
            self.close()
        except Exception:
            self._conn = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    # ----------------------------------------------------------------------------- transactions

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Cursor]:
        with self._lock:
            conn = self._connection()
            if self.dialect == "sqlite":
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield Cursor(self, conn.cursor())
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            else:
                with conn.transaction(), conn.cursor() as cur:
                    yield Cursor(self, cur)

    def read(self, fn: Callable[[Cursor], T]) -> T:
        """Run read-only `fn` in one consistent transaction, reconnecting once if the link dropped."""
        return self._run(fn, write=False)

    def write(self, fn: Callable[[Cursor], T]) -> T:
        """Run `fn` in a write transaction; retried on lock timeouts, deadlocks and lost connections."""
        return self._run(fn, write=True)

    def _run(self, fn: Callable[[Cursor], T], write: bool) -> T:
        attempts = WRITE_RETRIES if write else 2
        for attempt in range(attempts):
            try:
                with self._transaction(write) as cur:
                    return fn(cur)
            except Exception as exc:
                if not self._driver_error(exc):
                    raise  # the caller's own error (bad input, a bug): not ours to wrap or retry
                if attempt < attempts - 1 and self._transient(exc):
                    if self.dialect == "postgresql" and self._conn is not None and self._conn.broken:
                        self.close_quietly()
                    time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
                    continue
                raise DatabaseError(f"{redact(self.url)}: {exc}") from exc
        raise AssertionError("unreachable")

    def _driver_error(self, exc: Exception) -> bool:
        if self.dialect == "sqlite":
            return isinstance(exc, sqlite3.Error)
        import psycopg

        return isinstance(exc, psycopg.Error)

    def _transient(self, exc: Exception) -> bool:
        """Worth retrying: lock timeouts, deadlocks, serialisation failures, a dropped connection."""
        if self.dialect == "sqlite":
            message = str(exc).lower()
            return isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message)
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            return True  # dropped connection, server restart
        return getattr(exc, "sqlstate", None) in ("40001", "40P01", "55P03")  # serialisation, deadlock, lock

    def maintenance(self, sql: str) -> None:
        """Run a statement outside any transaction (PostgreSQL VACUUM refuses to run inside one)."""
        with self._lock:
            try:
                conn = self._connection()
                conn.execute(sql)
            except Exception as exc:
                if not self._driver_error(exc):
                    raise
                raise DatabaseError(f"{redact(self.url)}: {exc}") from exc

    # ----------------------------------------------------------------------------- schema

    def ensure_schema(
        self,
        name: str,
        statements: Sequence[str],
        added_columns: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        after_columns: Sequence[str] = (),
    ) -> None:
        """Create tables once per process; concurrent creators are serialised by a lock.

        Statements may use the `ddl` tokens; they must be idempotent (IF NOT EXISTS).
        `added_columns` (table -> (column, type with `ddl` tokens)) migrates tables an older version
        created: each column a table lacks is added, in the same transaction, after `statements`.
        `after_columns` run last, in that transaction too: what needs an added column (an index on
        it, a search table or trigger over it).
        """
        if name in self._schemas:
            return

        def create(cur: Cursor) -> None:
            if self.dialect == "postgresql":
                # CREATE … IF NOT EXISTS is not atomic across sessions in PostgreSQL.
                cur.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(name.encode()),))
            for statement in statements:
                cur.execute(self.ddl(statement))
            for table, columns in (added_columns or {}).items():
                self._add_missing_columns(cur, table, columns)
            for statement in after_columns:
                cur.execute(self.ddl(statement))

        self.write(create)
        self._schemas.add(name)

    def _add_missing_columns(self, cur: Cursor, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """ALTER TABLE … ADD COLUMN for each of `columns` that `table` has not.

        Only missing columns are altered: on PostgreSQL even a no-op ALTER takes an exclusive lock
        on the table. Two processes opening an old database at once: PostgreSQL serialises them on
        the advisory lock and `IF NOT EXISTS` covers the rest; SQLite holds the write lock
        (BEGIN IMMEDIATE) from the column check to the ALTER, and a "duplicate column" error, should
        another connection still win, means the column is there.
        """
        if self.dialect == "postgresql":
            cur.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (table,),
            )
        else:
            cur.execute(f"SELECT name FROM pragma_table_info('{table}')")
        present = {row[0] for row in cur.fetchall()}
        for column, kind in columns:
            if column in present:
                continue
            if self.dialect == "postgresql":
                cur.execute(self.ddl(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}"))
                continue
            try:
                cur.execute(self.ddl(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc).lower():
                    raise

    _DDL_TOKENS: ClassVar[dict[str, dict[str, str]]] = {
        "sqlite": {
            "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
            "bigint": "INTEGER",
            "float": "REAL",
            "timestamp": "TEXT",
            "without_rowid": "WITHOUT ROWID",
        },
        "postgresql": {
            "id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "bigint": "BIGINT",
            "float": "DOUBLE PRECISION",
            "timestamp": "TIMESTAMPTZ",
            "without_rowid": "",
        },
    }

    def ddl(self, statement: str) -> str:
        """Fill the dialect tokens {id} {bigint} {float} {timestamp} {without_rowid} of a DDL statement."""
        return statement.format(**self._DDL_TOKENS[self.dialect])

    # ----------------------------------------------------------------------------- values

    def timestamp(self, value: datetime) -> Any:
        """A timestamp parameter: aware datetime for PostgreSQL, sortable UTC ISO text for SQLite."""
        value = value.astimezone(UTC)
        if self.dialect == "postgresql":
            return value
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @staticmethod
    def parse_timestamp(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class Cursor:
    """A thin cursor: `?` placeholders for both dialects, and bulk insert helpers."""

    def __init__(self, db: Database, cursor: Any) -> None:
        self.db = db
        self.dialect = db.dialect
        self._cur = cursor

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._cur.execute(self._sql(sql), tuple(params))
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall()

    def copy_ints(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[int]]) -> None:
        """Insert many integer rows fast: COPY on PostgreSQL, executemany on SQLite."""
        if len(rows) == 0:
            return
        if self.dialect == "postgresql":
            text = "".join("\t".join(str(int(v)) for v in row) + "\n" for row in rows)
            with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(text)
        else:
            marks = ", ".join("?" for _ in columns)
            self._cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def select_in(
        self, sql: str, values: Sequence[int], params_before: Sequence[Any] = (), chunk: int = 20_000
    ) -> list[tuple[Any, ...]]:
        """Run `sql` containing one `IN {values}` marker for many integer values.

        PostgreSQL gets one array parameter (`= ANY(?)`); SQLite gets chunks of `?` lists, below its
        variable limit.
        """
        if len(values) == 0:
            return []
        if self.dialect == "postgresql":
            self.execute(sql.replace("IN {values}", "= ANY(?)"), (*params_before, list(values)))
            return self.fetchall()
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            marks = "(" + ",".join("?" * len(part)) + ")"
            self.execute(sql.replace("{values}", marks), (*params_before, *part))
            rows.extend(self.fetchall())
        return rows
