"""Full-text search of the results' transcripts, with each database's own facility.

SQLite: an external-content FTS5 table over `results.transcript` (the text is stored once, in
`results`), kept in step by triggers, so every writer and every upsert updates it without the store
having to. PostgreSQL: a GIN index on `to_tsvector('simple', transcript)`; the filter repeats that
expression, so the planner can use the index. 'simple' lower-cases and neither stems nor drops stop
words: transcripts come in many languages, and one language's stemmer would mangle the others.
FTS5 keeps diacritics too (`remove_diacritics 0`), so both databases match the same words.

A search text matches a transcript that holds all of its words (letters and digits), in any order
and any case; punctuation and FTS/tsquery operators in it are not syntax, only separators.
"""

from __future__ import annotations

import re

from audio_pipeline.database import Dialect

FTS_TABLE = "results_transcript_fts"
INDEX = "results_transcript_search"
_WORD = re.compile(r"[^\W_]+")  # what both tokenizers keep as word characters

# Statements that need `results.transcript`: they run after the added columns (Database.ensure_schema).
# Every row is in the FTS5 index, NULL transcripts as no words: then the index is exactly what FTS5's
# 'rebuild' makes from the table (its 'integrity-check' agrees), and 'rebuild' indexes the rows a
# table already had when an older version's database gets the search (once: the index is empty then).
SCHEMA: dict[Dialect, tuple[str, ...]] = {
    "sqlite": (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "transcript, content='results', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
        f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON results BEGIN
            INSERT INTO {FTS_TABLE} (rowid, transcript) VALUES (new.id, new.transcript);
        END""",
        # An external-content table is told the old text to take out ('delete' with the old values).
        f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF transcript ON results BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, transcript) VALUES ('delete', old.id, old.transcript);
            INSERT INTO {FTS_TABLE} (rowid, transcript) VALUES (new.id, new.transcript);
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON results BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, transcript) VALUES ('delete', old.id, old.transcript);
        END""",
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) SELECT 'rebuild' "
        f"WHERE EXISTS (SELECT 1 FROM results) AND NOT EXISTS (SELECT 1 FROM {FTS_TABLE}_docsize)",
    ),
    "postgresql": (f"CREATE INDEX IF NOT EXISTS {INDEX} ON results USING GIN (to_tsvector('simple', transcript))",),
}


def words(text: str) -> list[str]:
    """The words a search text looks for."""
    return _WORD.findall(text)


def condition(dialect: Dialect, text: str) -> tuple[str, list[str]]:
    """A WHERE condition on `results` (with its parameters) for rows whose transcript has every word."""
    found = words(text)
    if not found:
        return "1 = 0", []  # nothing to look for matches nothing, as either database would say
    if dialect == "postgresql":
        return "to_tsvector('simple', transcript) @@ plainto_tsquery('simple', ?)", [" ".join(found)]
    query = " ".join(f'"{word}"' for word in found)  # quoted: a word such as AND or NEAR is no operator
    return f"id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)", [query]
