"""name search words

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

The household list's name search matches words by prefix (households/repository.py). On
PostgreSQL the words of household names and of member names get GIN indexes, so a search
reads the index instead of every member of every household. The expressions must stay
exactly those the search uses, or the planner will not use the indexes. SQLite, the
embedded default, searches without them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_households_name_words": ("households", "to_tsvector('simple', name)"),
    "ix_members_name_words": (
        "members",
        "to_tsvector('simple', given_name || ' ' || family_name)",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, expression) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
