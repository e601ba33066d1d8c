"""The stored name words: recomputed after a name or a member's restriction changes,
matched by the list's search."""

import re
import unicodedata
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    TextClause,
    Uuid,
    and_,
    bindparam,
    exists,
    false,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.households.models import Household
from gezinsplan.kit.types import UTCDateTime
from gezinsplan.rights.models import ACTIVE_RESTRICTION

# Letters and digits: no FTS5 or tsquery operator, quote or wildcard can get through.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
# The beginnings of a word kept in ``household_prefixes``: every one up to this length. A
# longer word searched for is found by its first ``PREFIX_LENGTH`` letters and then checked
# against the stored words themselves.
PREFIX_LENGTH = 12

# One row per beginning of a word of a household's names, with the household's place in the
# list's order: a search walks the rows of one beginning in page order and stops at a full
# page, so a common word costs what a rare one does (decision 0038). Outside the models, as
# the other stored words (migration 0022 makes it on both engines).
household_prefixes = Table(
    "household_prefixes",
    MetaData(),
    Column("prefix", String(PREFIX_LENGTH), primary_key=True),
    Column("created_at", UTCDateTime, primary_key=True),
    Column("household_id", Uuid, primary_key=True),
)


def _accented_latin() -> tuple[str, str]:
    """Latin letters with diacritics (both cases) and their letters without, for
    PostgreSQL's ``translate``; migration 0015 keeps its own copy of this table."""
    pairs = [
        (letter, base)
        for letter in map(chr, range(0xC0, 0x250))
        if (base := unicodedata.normalize("NFD", letter)[0]) != letter and base.isascii()
    ]
    return "".join(letter for letter, _ in pairs), "".join(base for _, base in pairs)


ACCENTED, PLAIN = _accented_latin()
_UNACCENT = str.maketrans(ACCENTED, PLAIN)

_LOCK_POSTGRESQL = "SELECT 1 FROM households WHERE households.id IN :ids FOR NO KEY UPDATE"
# A member whose names are searched: not one whose processing is restricted (AVG art. 18),
# whom finding the household by would be processing beyond storage (decision 0030).
_SEARCHED_MEMBER = f"""NOT EXISTS (
    SELECT 1 FROM restrictions
    WHERE restrictions.member_id = members.id AND restrictions.{ACTIVE_RESTRICTION}
)"""  # noqa: S608 - constants only
# The words of the household's name and of its searched members' names (PostgreSQL's
# 'simple' configuration and SQLite's unicode61 tokenizer both split them at spaces and
# hyphens).
_REFRESH_POSTGRESQL = f"""
UPDATE households SET name_words = to_tsvector('simple', translate(
    households.name || coalesce((
        SELECT ' ' || string_agg(members.given_name || ' ' || members.family_name, ' ')
        FROM members WHERE members.household_id = households.id AND {_SEARCHED_MEMBER}
    ), ''), :accented, :plain))
WHERE households.id IN :ids
"""  # noqa: S608 - constants only
_FORGET_PREFIXES = "DELETE FROM household_prefixes WHERE household_id IN :ids"
# PostgreSQL: the beginnings of the stored words (the tsvector's lexemes), so a household
# has the beginning of a word exactly when its words match that word as a prefix.
_PREFIXES_POSTGRESQL = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT DISTINCT left(words.lexeme, lengths.n), households.created_at, households.id
FROM households, unnest(households.name_words) AS words,
    generate_series(1, least(length(words.lexeme), :length)) AS lengths(n)
WHERE households.id IN :ids
"""
# SQLite: one FTS5 row per household, found again by its id (an indexed column of its own,
# so replacing a row is an index lookup; searches name the words column).
_FORGET_SQLITE = "DELETE FROM household_names WHERE household_names MATCH :keys"
_NAMES_SQLITE = f"""
SELECT households.id, households.name || coalesce((
    SELECT ' ' || group_concat(members.given_name || ' ' || members.family_name, ' ')
    FROM members WHERE members.household_id = households.id AND {_SEARCHED_MEMBER}
), '')
FROM households WHERE households.id IN :ids
"""  # noqa: S608 - constants only
_REFRESH_SQLITE = f"INSERT INTO household_names (household_id, words) {_NAMES_SQLITE}"
_PREFIX_SQLITE = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT :prefix, households.created_at, households.id FROM households WHERE households.id = :id
"""


def refresh_name_words(
    connection: Session | Connection, household_ids: Collection[uuid.UUID]
) -> None:
    """Recompute the stored words of these households from their rows as they are now
    (flushed): called in the transaction of every change to a household's or member's name,
    and of every restriction of a member placed or lifted."""
    if not household_ids:
        return
    ids = bindparam("ids", list(household_ids), expanding=True, type_=Uuid())
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        # Lock first, read next: a transaction changing the same household's names at the
        # same time commits before this statement takes its snapshot, so neither change is
        # lost, nor its beginnings left behind. (NO KEY UPDATE: the members' foreign key
        # checks only share the key.)
        connection.execute(text(_LOCK_POSTGRESQL).bindparams(ids))
        connection.execute(text(_FORGET_PREFIXES).bindparams(ids))
        refresh = text(_REFRESH_POSTGRESQL).bindparams(ids, accented=ACCENTED, plain=PLAIN)
        connection.execute(refresh)
        connection.execute(text(_PREFIXES_POSTGRESQL).bindparams(ids, length=PREFIX_LENGTH))
        return
    connection.execute(text(_FORGET_PREFIXES).bindparams(ids))
    # The FTS5 table holds ids as SQLAlchemy stores them on SQLite: 32 hex digits.
    keys = " OR ".join(f'"{household_id.hex}"' for household_id in household_ids)
    connection.execute(text(_FORGET_SQLITE), {"keys": f"household_id : ({keys})"})
    connection.execute(text(_REFRESH_SQLITE).bindparams(ids))
    named = connection.execute(text(_NAMES_SQLITE).bindparams(ids)).all()
    _insert_prefixes(connection, [(household_id, names) for household_id, names in named])


def _insert_prefixes(connection: Session | Connection, named: Iterable[tuple[object, str]]) -> None:
    """SQLite: the beginnings of the words of each household's names, as the search takes
    its words (``words``), so a word is found exactly when one of them begins with it."""
    rows = [
        {"id": household_id, "prefix": prefix}
        for household_id, names in named
        for prefix in prefixes(names)
    ]
    if rows:
        connection.execute(text(_PREFIX_SQLITE), rows)


def prefixes(names: str) -> set[str]:
    """Every beginning, up to ``PREFIX_LENGTH`` letters, of every word of ``names``."""
    return {
        word[:length]
        for word in _words_of(names)
        for length in range(1, min(len(word), PREFIX_LENGTH) + 1)
    }


_REFRESH_EVERY_POSTGRESQL = f"""
UPDATE households SET name_words = to_tsvector('simple', translate(
    households.name || coalesce(' ' || named.names, ''), :accented, :plain))
FROM (
    SELECT households.id, string_agg(members.given_name || ' ' || members.family_name, ' ')
        AS names
    FROM households
    LEFT JOIN members ON members.household_id = households.id AND {_SEARCHED_MEMBER}
    GROUP BY households.id
) AS named
WHERE named.id = households.id
"""  # noqa: S608 - constants only
_PREFIXES_EVERY_POSTGRESQL = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT DISTINCT left(words.lexeme, lengths.n), households.created_at, households.id
FROM households, unnest(households.name_words) AS words,
    generate_series(1, least(length(words.lexeme), :length)) AS lengths(n)
"""
_REFRESH_EVERY_SQLITE = f"""
INSERT INTO household_names (household_id, words)
SELECT households.id, households.name || coalesce(' ' || group_concat(
    members.given_name || ' ' || members.family_name, ' '), '')
FROM households
LEFT JOIN members ON members.household_id = households.id AND {_SEARCHED_MEMBER}
GROUP BY households.id
"""  # noqa: S608 - constants only
_NAMES_EVERY_SQLITE = "SELECT household_id, words FROM household_names"


def refresh_every_household(connection: Connection) -> None:
    """Every household's stored words in one set-based statement, for rows written in bulk
    by the driver (the benchmark's generated data)."""
    connection.execute(text("DELETE FROM household_prefixes"))
    if connection.dialect.name == "postgresql":
        refresh = text(_REFRESH_EVERY_POSTGRESQL).bindparams(accented=ACCENTED, plain=PLAIN)
        connection.execute(refresh)
        connection.execute(text(_PREFIXES_EVERY_POSTGRESQL).bindparams(length=PREFIX_LENGTH))
        return
    connection.execute(text("DELETE FROM household_names"))
    connection.execute(text(_REFRESH_EVERY_SQLITE))
    named = connection.execute(text(_NAMES_EVERY_SQLITE)).all()
    _insert_prefixes(connection, [(household_id, names) for household_id, names in named])


def _words_of(names: str) -> list[str]:
    return [word.lower().translate(_UNACCENT) for word in WORD.findall(names)]


def words(search: str) -> list[str]:
    """The words searched for, lower case and without diacritics, at most ``MAX_WORDS``."""
    return _words_of(search)[:MAX_WORDS]


@dataclass(frozen=True)
class SearchShape:
    """What the list's statement depends on, besides the beginning of a word whose rows of
    ``household_prefixes`` it walks in page order (``walked``): how many other words each
    walked household must also have a beginning of (``others``), and whether a word longer
    than ``PREFIX_LENGTH`` needs the stored words themselves (``checked``)."""

    others: int
    checked: bool


@dataclass(frozen=True)
class Search:
    """A search: its shape, and its values as the statement's parameters."""

    shape: SearchShape
    values: dict[str, str]


def search_of(dialect: str, search: str) -> Search:
    """The longest word is walked (the rarest, likely); no word walks no row ('')."""
    terms = sorted(words(search), key=len, reverse=True)
    values = {"prefix": terms[0][:PREFIX_LENGTH] if terms else ""}
    values |= {f"prefix_{i}": term[:PREFIX_LENGTH] for i, term in enumerate(terms[1:], 1)}
    checked = any(len(term) > PREFIX_LENGTH for term in terms)
    if checked:
        values["name_words"] = query_of(dialect, search)
    return Search(SearchShape(others=max(len(terms) - 1, 0), checked=checked), values)


def _value(name: str, values: Mapping[str, str] | None) -> BindParameter[str]:
    """A parameter given at execution (the list's statement, built once), or bound now."""
    if values is None:
        return bindparam(name)
    return bindparam(name, values[name])


def walked(
    household_id: Any, values: Mapping[str, str] | None = None
) -> tuple[Any, ColumnElement[bool]]:
    """The walked rows of ``household_prefixes`` and their join to the listed household.

    Joined by the household's id alone: also equating created_at, which the id determines,
    makes PostgreSQL multiply two selectivities and expect almost no household per row, so
    at a million households it joined every row of a common word by hash and sorted them."""
    rows = household_prefixes.alias("walked_prefix")
    return rows, and_(
        rows.c.prefix == _value("prefix", values), rows.c.household_id == household_id
    )


def also_matches(
    dialect: str, shape: SearchShape, household_id: Any, values: Mapping[str, str] | None = None
) -> list[ColumnElement[bool] | TextClause]:
    """What a walked household must also have: a beginning of each other word (a lookup of
    the index on household and beginning), and the stored words when a word is longer than
    the beginnings kept."""
    conditions: list[ColumnElement[bool] | TextClause] = []
    for i in range(1, shape.others + 1):
        also = household_prefixes.alias(f"also_prefix_{i}")
        conditions.append(
            exists().where(
                also.c.household_id == household_id,
                also.c.prefix == _value(f"prefix_{i}", values),
            )
        )
    if shape.checked:
        match = words_match(dialect)
        if values is not None:
            match = match.bindparams(name_words=values["name_words"])
        conditions.append(match)
    return conditions


def query_of(dialect: str, search: str) -> str:
    """The search as the engine's full-text query: every word as a prefix, all required.
    Only letters and digits reach it (``words``), so no operator can."""
    terms = words(search) or ["-"]  # "-" is no word: it matches nothing
    if dialect == "postgresql":
        return " & ".join(f"{term}:*" for term in terms)
    return "words : (" + " ".join(f'"{term}"*' for term in terms) + ")"


def words_match(dialect: str) -> TextClause:
    """Households whose stored words match ``:name_words`` (``query_of``), as a condition on
    the listed row: only for a word longer than the beginnings kept, so the walk has already
    narrowed the households to those with its first ``PREFIX_LENGTH`` letters."""
    if dialect == "postgresql":
        return text("households.name_words @@ to_tsquery('simple', :name_words)")
    return text(
        "households.id IN (SELECT household_id FROM household_names "
        "WHERE household_names MATCH :name_words)"
    )


def name_matches(dialect: str, search: str) -> ColumnElement[bool]:
    """Households with every word searched for at the start of one of their name words, as
    a condition on a row of ``households`` (the list walks instead; this is its meaning)."""
    if not words(search):
        return false()
    found = search_of(dialect, search)
    id_, values = col(Household.id), found.values
    _, joined = walked(id_, values)
    return and_(exists().where(joined), *also_matches(dialect, found.shape, id_, values))
