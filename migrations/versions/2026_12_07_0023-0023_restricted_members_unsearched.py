"""restricted members unsearched

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

A member whose processing is restricted (AVG art. 18) is no longer found by name: the stored
words of a household leave out the names of its members under an active restriction
(decision 0030). The words of the households that have such a member now are recomputed;
every other household's words are unchanged. The downgrade puts the names back.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LENGTH = 12
RESTRICTED = """
SELECT DISTINCT household_id FROM restrictions
WHERE member_id IS NOT NULL AND lifted_at IS NULL
"""
# The members named: all of them (the downgrade), or those under no active restriction.
EVERY_MEMBER = "TRUE"
SEARCHED_MEMBER = """NOT EXISTS (
    SELECT 1 FROM restrictions
    WHERE restrictions.member_id = members.id AND restrictions.lifted_at IS NULL
)"""
NAMES = """households.name || coalesce((
    SELECT ' ' || {aggregate}(members.given_name || ' ' || members.family_name, ' ')
    FROM members WHERE members.household_id = households.id AND {members}
), '')"""
WORDS_POSTGRESQL = """
UPDATE households SET name_words = to_tsvector('simple', translate({names}, :accented, :plain))
WHERE households.id IN ({restricted})
"""
FORGET_PREFIXES = "DELETE FROM household_prefixes WHERE household_id IN ({restricted})"
PREFIXES_POSTGRESQL = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT DISTINCT left(words.lexeme, lengths.n), households.created_at, households.id
FROM households, unnest(households.name_words) AS words,
    generate_series(1, least(length(words.lexeme), :length)) AS lengths(n)
WHERE households.id IN ({restricted})
"""
NAMED_SQLITE = "SELECT households.id, {names} FROM households WHERE id IN ({restricted})"
PREFIX_SQLITE = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT :prefix, households.created_at, households.id FROM households WHERE households.id = :id
"""
WORD = re.compile(r"[^\W_]+")


def accented_latin() -> tuple[str, str]:
    """The search's table of accented Latin letters (households/search/repository.py), kept
    here so a later change to the search cannot change what this migration did."""
    pairs = [
        (letter, base)
        for letter in map(chr, range(0xC0, 0x250))
        if (base := unicodedata.normalize("NFD", letter)[0]) != letter and base.isascii()
    ]
    return "".join(letter for letter, _ in pairs), "".join(base for _, base in pairs)


def prefixes(names: str, table: dict[int, int]) -> set[str]:
    words = [word.lower().translate(table) for word in WORD.findall(names)]
    return {word[:n] for word in words for n in range(1, min(len(word), LENGTH) + 1)}


def refresh(members: str) -> None:
    """Recompute the words and their beginnings of the households with a restricted member,
    naming ``members``, as the search recomputes a household's (one statement per step)."""
    bind = op.get_bind()
    accented, plain = accented_latin()
    forget = sa.text(FORGET_PREFIXES.format(restricted=RESTRICTED))
    if bind.dialect.name == "postgresql":
        names = NAMES.format(aggregate="string_agg", members=members)
        words = WORDS_POSTGRESQL.format(names=names, restricted=RESTRICTED)
        bind.execute(sa.text(words).bindparams(accented=accented, plain=plain))
        bind.execute(forget)
        filled = PREFIXES_POSTGRESQL.format(restricted=RESTRICTED)
        bind.execute(sa.text(filled).bindparams(length=LENGTH))
        return
    names = NAMES.format(aggregate="group_concat", members=members)
    named = bind.execute(sa.text(NAMED_SQLITE.format(names=names, restricted=RESTRICTED))).all()
    bind.execute(forget)
    table = str.maketrans(accented, plain)
    for household_id, words in named:
        # The FTS5 table holds the id as the households table does: 32 hex digits.
        bind.execute(
            sa.text("DELETE FROM household_names WHERE household_id = :id"), {"id": household_id}
        )
        bind.execute(
            sa.text("INSERT INTO household_names (household_id, words) VALUES (:id, :words)"),
            {"id": household_id, "words": words},
        )
        rows = [{"id": household_id, "prefix": prefix} for prefix in prefixes(words, table)]
        if rows:
            bind.execute(sa.text(PREFIX_SQLITE), rows)


def upgrade() -> None:
    refresh(SEARCHED_MEMBER)


def downgrade() -> None:
    refresh(EVERY_MEMBER)
