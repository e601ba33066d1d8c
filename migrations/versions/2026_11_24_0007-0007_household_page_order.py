"""household page order

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

The household list pages by (created_at, id). With an index in that order a page is read in
order and stops at its size, with or without a name search, instead of sorting every
visible household first.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_households_created_at_id"), "households", ["created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_households_created_at_id"), table_name="households")
