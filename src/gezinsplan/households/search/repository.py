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


def words(search: str) -> list[str]:
    """The words searched for, lower case and without diacritics, at most ``MAX_WORDS``."""
    return [word.lower().translate(_UNACCENT) for word in WORD.findall(search)][:MAX_WORDS]


def name_matches(dialect: str, search: str) -> ColumnElement[bool] | TextClause:
    """Households with every word searched for at the start of one of their name words."""
    terms = words(search)
    if not terms:
        return false()
    if dialect == "postgresql":
        # An IN, not the bare condition on the listed row: the bare one let the planner
        # (which estimates every prefix query alike) join all role assignments and plans
        # by hash; with the IN it walks the page order and stops at a full page.
        query = " & ".join(f"{term}:*" for term in terms)
        return text(
            "households.id IN (SELECT named.id FROM households AS named "
            "WHERE named.name_words @@ to_tsquery('simple', :name_words))"
        ).bindparams(name_words=query)
    query = "words : (" + " ".join(f'"{term}"*' for term in terms) + ")"
    return text(
        "households.id IN (SELECT household_id FROM household_names "
        "WHERE household_names MATCH :name_words)"
    ).bindparams(name_words=query)
