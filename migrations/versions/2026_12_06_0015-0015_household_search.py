"""household search

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

The household list's name search reads one stored set of words per household: its name and
all its members' names (households/search). PostgreSQL keeps them in a tsvector column with a
GIN index, SQLite in an FTS5 table. Both are filled for every existing household in one
set-based statement. The two expression indexes of 0009 served only the old search and go.
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INDEXES = {
    "ix_households_name_words": ("households", "to_tsvector('simple', name)"),
    "ix_members_name_words": (
        "members",
        "to_tsvector('simple', given_name || ' ' || family_name)",
    ),
}
FILL_POSTGRESQL = """
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
FILL_SQLITE = """
INSERT INTO household_names (household_id, words)
SELECT households.id, households.name || coalesce(' ' || group_concat(
    members.given_name || ' ' || members.family_name, ' '), '')
FROM households LEFT JOIN members ON members.household_id = households.id
GROUP BY households.id
"""


def accented_latin() -> tuple[str, str]:
    """The same table as the search's (households/search/repository.py), kept here so a
    later change to the search cannot change what this migration did."""
    pairs = [
        (letter, base)
        for letter in map(chr, range(0xC0, 0x250))
        if (base := unicodedata.normalize("NFD", letter)[0]) != letter and base.isascii()
    ]
    return "".join(letter for letter, _ in pairs), "".join(base for _, base in pairs)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(
            "CREATE VIRTUAL TABLE household_names USING fts5("
            "household_id, words, tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(FILL_SQLITE)
        return
    for name in OLD_INDEXES:
        op.execute(f"DROP INDEX {name}")
    # A constant default: adding the column rewrites no rows; the fill below writes each once.
    op.execute("ALTER TABLE households ADD COLUMN name_words tsvector NOT NULL DEFAULT ''")
    accented, plain = accented_latin()
    op.execute(sa.text(FILL_POSTGRESQL).bindparams(accented=accented, plain=plain))
    op.execute("CREATE INDEX ix_households_name_words ON households USING gin (name_words)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE household_names")
        return
    op.execute("DROP INDEX ix_households_name_words")
    op.execute("ALTER TABLE households DROP COLUMN name_words")
    for name, (table, expression) in OLD_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression})")
