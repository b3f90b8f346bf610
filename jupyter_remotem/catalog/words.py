"""The catalog's word index: each entry's words (of its file name, path, array path and text
metadata), so ``fulltext`` is answered from an index of words rather than by reading text.

A full-text word matches an entry when each of its words begins a word of the entry (``grain``
finds "grain", "grains" and "grain_map.h5"; ``run3`` finds "run3/…", not "rerun3").  Words are
runs of letters and digits, lowercased here, in Python, for every database alike; the index is
the database's own: an FTS5 table on SQLite (or, built without FTS5, a plain table read with
``LIKE``), a ``tsvector`` table with a GIN index on PostgreSQL.  Any other substring is the
``contains`` and ``like`` operators' job, on a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Integer, TextualSelect, bindparam, text

from ..errors import BadParameter

#: The word index's table (its rows keyed by the entry's id).
WORDS_TABLE = "remotem_catalog_words"
#: The trigram index it replaced, dropped where found.
OLD_TEXT_INDEX = "remotem_catalog_text"
#: Words kept per entry: a file with endless text metadata is found by its first ones.
MAX_WORDS = 4000

_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> list[str]:
    """The words of ``text``: runs of letters and digits, lowercased."""
    return _WORD.findall(text.lower())


def body_of(texts: Iterable[str | None]) -> str:
    """What the index holds for an entry: its distinct words, in order, space-separated."""
    seen: dict[str, None] = {}
    for piece in texts:
        if piece:
            for word in words_of(piece):
                seen.setdefault(word, None)
                if len(seen) >= MAX_WORDS:
                    return " ".join(seen)
    return " ".join(seen)


def query_words(value: str) -> list[str]:
    words = list(dict.fromkeys(words_of(str(value))))
    if not words:
        raise BadParameter(f"The full-text query {value!r} has no words (letters or digits).",
                           hint="Search words, such as: silicon wedge; for other text use key:~text.")
    return words


#: The kinds of word index: SQLite's FTS5, PostgreSQL's tsvector, or LIKE on a plain table.
KINDS = ("fts5", "tsvector", "like")


def create_statements(kind: str) -> list[str]:
    if kind == "fts5":
        # Words are made here; FTS5's own tokenizer only splits them at spaces again.  Prefix
        # indexes answer the one- to three-letter word starts without walking the vocabulary.
        return [f"CREATE VIRTUAL TABLE IF NOT EXISTS {WORDS_TABLE} USING fts5(body, "
                f"tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')"]
    if kind == "tsvector":
        return [f"CREATE TABLE IF NOT EXISTS {WORDS_TABLE} (entry_id INTEGER PRIMARY KEY "
                f"REFERENCES remotem_catalog_entries(id) ON DELETE CASCADE, body tsvector NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS ix_{WORDS_TABLE}_body ON {WORDS_TABLE} USING gin (body)"]
    return [f"CREATE TABLE IF NOT EXISTS {WORDS_TABLE} (entry_id INTEGER PRIMARY KEY, body TEXT NOT NULL)"]


def insert_statement(kind: str) -> str:
    """An INSERT taking ``:id`` and ``:body`` (:func:`body_of`)."""
    if kind == "tsvector":
        # array_to_tsvector keeps each word as it is: no parser, no dictionary, as on SQLite.
        return (f"INSERT INTO {WORDS_TABLE} (entry_id, body) VALUES "
                f"(:id, array_to_tsvector(string_to_array(:body, ' ')))")
    if kind == "like":
        return f"INSERT INTO {WORDS_TABLE} (entry_id, body) VALUES (:id, ' ' || :body || ' ')"
    return f"INSERT INTO {WORDS_TABLE} (rowid, body) VALUES (:id, :body)"


def delete_statement(kind: str, ids: list[int]) -> str:
    column = "rowid" if kind == "fts5" else "entry_id"
    return f"DELETE FROM {WORDS_TABLE} WHERE {column} IN ({','.join(str(int(i)) for i in ids)})"


def matching_ids(kind: str, value: str) -> TextualSelect:
    """A SELECT of the ids of entries with every word of ``value`` (each as a word's start)."""
    words = query_words(value)
    if kind == "fts5":
        match = " AND ".join(f'"{word}"*' for word in words)
        return text(f"SELECT rowid AS entry_id FROM {WORDS_TABLE} WHERE {WORDS_TABLE} MATCH :match").bindparams(
            bindparam("match", value=match, unique=True)).columns(entry_id=Integer)
    if kind == "tsvector":
        query = " & ".join(f"'{word}':*" for word in words)
        return text(f"SELECT entry_id FROM {WORDS_TABLE} WHERE body @@ CAST(:query AS tsquery)").bindparams(
            bindparam("query", value=query, unique=True)).columns(entry_id=Integer)
    clauses = " AND ".join(f"body LIKE :word{i}" for i in range(len(words)))
    params = [bindparam(f"word{i}", value=f"% {word}%", unique=True) for i, word in enumerate(words)]
    return text(f"SELECT entry_id FROM {WORDS_TABLE} WHERE {clauses}").bindparams(*params).columns(entry_id=Integer)
