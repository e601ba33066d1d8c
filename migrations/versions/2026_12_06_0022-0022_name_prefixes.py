"""name prefixes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

The household list's name search walks, in page order, the households having the beginning
of a word searched for (decision 0038): one row per beginning (up to 12 letters) of every
word of a household's names, with the household's created_at, keyed in that order. On
PostgreSQL the beginnings come from the stored words (``households.name_words``) in one
set-based statement, the keys built after the fill; on SQLite from the FTS5 table's text,
split as the search splits a search (households/search), in a table without rowids so the
key is the table.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LENGTH = 12
FILL_POSTGRESQL = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT DISTINCT left(words.lexeme, lengths.n), households.created_at, households.id
FROM households, unnest(households.name_words) AS words,
    generate_series(1, least(length(words.lexeme), :length)) AS lengths(n)
"""
FILL_SQLITE = """
INSERT INTO household_prefixes (prefix, created_at, household_id)
SELECT :prefix, households.created_at, households.id FROM households WHERE households.id = :id
"""
WORD = re.compile(r"[^\W_]+")


def unaccented() -> dict[int, int]:
    """The search's table of accented Latin letters (households/search/repository.py), kept
    here so a later change to the search cannot change what this migration did."""
    pairs = [
        (letter, base)
        for letter in map(chr, range(0xC0, 0x250))
        if (base := unicodedata.normalize("NFD", letter)[0]) != letter and base.isascii()
    ]
    return str.maketrans("".join(a for a, _ in pairs), "".join(b for _, b in pairs))


def prefixes(names: str, table: dict[int, int]) -> set[str]:
    words = [word.lower().translate(table) for word in WORD.findall(names)]
    return {word[:n] for word in words for n in range(1, min(len(word), LENGTH) + 1)}


def upgrade() -> None:
    bind = op.get_bind()
    columns = [
        sa.Column("prefix", sa.String(length=LENGTH), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_prefixes_household_id_households"),
            ondelete="CASCADE",
        ),
    ]
    key = sa.PrimaryKeyConstraint(
        "prefix", "created_at", "household_id", name=op.f("pk_household_prefixes")
    )
    if bind.dialect.name == "postgresql":
        # Filled first, keyed next: building the keys once is faster than row by row.
        op.create_table("household_prefixes", *columns)
        op.execute(sa.text(FILL_POSTGRESQL).bindparams(length=LENGTH))
        op.create_primary_key(
            "pk_household_prefixes",
            "household_prefixes",
            ["prefix", "created_at", "household_id"],
        )
    else:
        op.create_table("household_prefixes", *columns, key, sqlite_with_rowid=False)
        table = unaccented()
        named = bind.execute(sa.text("SELECT household_id, words FROM household_names")).all()
        rows = [
            {"id": household_id, "prefix": prefix}
            for household_id, names in named
            for prefix in prefixes(names, table)
        ]
        if rows:
            bind.execute(sa.text(FILL_SQLITE), rows)
    # A household's rows, to replace them when its names change and to go with it, and the
    # lookup of a search's other words for a walked household.
    op.create_index(
        op.f("ix_household_prefixes_household_id_prefix"),
        "household_prefixes",
        ["household_id", "prefix"],
    )
    # Statistics now, not at autovacuum's leisure (SQLite has none until asked): the planner
    # tells a common beginning from a rare one by them.
    op.execute("ANALYZE household_prefixes")


def downgrade() -> None:
    op.drop_table("household_prefixes")
