"""The stored name words: recomputed after a name changes, matched by the list's search."""

import re
import unicodedata
import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, TextClause, Uuid, bindparam, false, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

# Letters and digits: no FTS5 or tsquery operator, quote or wildcard can get through.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8


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
# The words of the household's name and of its members' names (PostgreSQL's 'simple'
# configuration and SQLite's unicode61 tokenizer both split them at spaces and hyphens).
_REFRESH_POSTGRESQL = """
UPDATE households SET name_words = to_tsvector('simple', translate(
    households.name || coalesce((
        SELECT ' ' || string_agg(members.given_name || ' ' || members.family_name, ' ')
        FROM members WHERE members.household_id = households.id
    ), ''), :accented, :plain))
WHERE households.id IN :ids
"""
# SQLite: one FTS5 row per household, found again by its id (an indexed column of its own,
# so replacing a row is an index lookup; searches name the words column).
_FORGET_SQLITE = "DELETE FROM household_names WHERE household_names MATCH :keys"
_REFRESH_SQLITE = """
INSERT INTO household_names (household_id, words)
SELECT households.id, households.name || coalesce((
    SELECT ' ' || group_concat(members.given_name || ' ' || members.family_name, ' ')
    FROM members WHERE members.household_id = households.id
), '')
FROM households WHERE households.id IN :ids
"""


def refresh_name_words(
    connection: Session | Connection, household_ids: Collection[uuid.UUID]
) -> None:
    """Recompute the stored words of these households from their rows as they are now
    (flushed): called in the transaction of every change to a household's or member's name."""
    if not household_ids:
        return
    ids = bindparam("ids", list(household_ids), expanding=True, type_=Uuid())
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        # Lock first, read next: a transaction changing the same household's names at the
        # same time commits before this statement takes its snapshot, so neither change is
        # lost. (NO KEY UPDATE: the members' foreign key checks only share the key.)
        connection.execute(text(_LOCK_POSTGRESQL).bindparams(ids))
        refresh = text(_REFRESH_POSTGRESQL).bindparams(ids, accented=ACCENTED, plain=PLAIN)
        connection.execute(refresh)
        return
    # The FTS5 table holds ids as SQLAlchemy stores them on SQLite: 32 hex digits.
    keys = " OR ".join(f'"{household_id.hex}"' for household_id in household_ids)
    connection.execute(text(_FORGET_SQLITE), {"keys": f"household_id : ({keys})"})
    connection.execute(text(_REFRESH_SQLITE).bindparams(ids))


_REFRESH_EVERY_POSTGRESQL = """
UPDATE households SET name_words = to_tsvector('simple', translate(
    households.name || coalesce(' ' || named.names, ''), :accented, :plain))
FROM (
    SELECT households.id, string_agg(members.given_name || ' ' || members.family_name, ' ')
        AS names
    FROM households LEFT JOIN members ON members.household_id = households.id
    GROUP BY households.id
) AS named
WHERE named.id = households.id
"""
_REFRESH_EVERY_SQLITE = """
INSERT INTO household_names (household_id, words)
SELECT households.id, households.name || coalesce(' ' || group_concat(
    members.given_name || ' ' || members.family_name, ' '), '')
FROM households LEFT JOIN members ON members.household_id = households.id
GROUP BY households.id
"""


def refresh_every_household(connection: Connection) -> None:
    """Every household's stored words in one set-based statement, for rows written in bulk
    by the driver (the benchmark's generated data)."""
    if connection.dialect.name == "postgresql":
        refresh = text(_REFRESH_EVERY_POSTGRESQL).bindparams(accented=ACCENTED, plain=PLAIN)
        connection.execute(refresh)
        return
    connection.execute(text("DELETE FROM household_names"))
    connection.execute(text(_REFRESH_EVERY_SQLITE))


def words(search: str) -> list[str]:
    """The words searched for, lower case and without diacritics, at most ``MAX_WORDS``."""
    return [word.lower().translate(_UNACCENT) for word in WORD.findall(search)][:MAX_WORDS]


# A search matching at most this many households reads them by id, from the words' index;
# one matching more walks the list in page order, where its matches soon fill a page. Neither
# planner can tell the two apart: PostgreSQL estimates every prefix query alike.
FEW = 1000


def few_matches(session: Session, search: str) -> list[uuid.UUID] | None:
    """The households whose words match, when there are at most ``FEW``; else None.

    Only a narrowing of the list's statement, which applies the access rules to them."""
    dialect = session.get_bind().dialect.name
    if not words(search):
        return []
    if dialect == "postgresql":
        # Materialized, so the planner plans the match without the LIMIT: with it, it expects
        # an early stop (it estimates 2% of households for any prefix) and scans the table,
        # which a rare word reads to its end (230 ms at a million households); the words'
        # index finds it in a fraction of a millisecond. The CTE is read only as far as the
        # LIMIT asks.
        found = (
            "WITH named AS MATERIALIZED (SELECT id FROM households "
            "WHERE name_words @@ to_tsquery('simple', :name_words)) "
            "SELECT id FROM named LIMIT :cap"
        )
    else:
        found = (
            "SELECT household_id FROM household_names "
            "WHERE household_names MATCH :name_words LIMIT :cap"
        )
    values = {"name_words": query_of(dialect, search), "cap": FEW + 1}
    ids = session.scalars(text(found), values).all()
    if len(ids) > FEW:
        return None
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(value) for value in ids]


def query_of(dialect: str, search: str) -> str:
    """The search as the engine's full-text query: every word as a prefix, all required.
    Only letters and digits reach it (``words``), so no operator can."""
    terms = words(search) or ["-"]  # "-" is no word: it matches nothing
    if dialect == "postgresql":
        return " & ".join(f"{term}:*" for term in terms)
    return "words : (" + " ".join(f'"{term}"*' for term in terms) + ")"


def words_match(dialect: str) -> TextClause:
    """Households whose words match ``:name_words`` (``query_of``), as a condition on the
    row of ``households`` being walked: the list applies it to a page of household ids alone,
    walked in page order, so a common word soon fills the page (a rare one is read by id)."""
    if dialect == "postgresql":
        return text("households.name_words @@ to_tsquery('simple', :name_words)")
    return text(
        "households.id IN (SELECT household_id FROM household_names "
        "WHERE household_names MATCH :name_words)"
    )


def name_matches(dialect: str, search: str) -> ColumnElement[bool] | TextClause:
    """Households with every word searched for at the start of one of their name words."""
    if not words(search):
        return false()
    return words_match(dialect).bindparams(name_words=query_of(dialect, search))
