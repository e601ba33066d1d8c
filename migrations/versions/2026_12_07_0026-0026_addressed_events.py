"""addressed events

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

An erasure is told to the organizations that received the household's data (AVG art. 19,
decision 0043). Every other event is judged when read by whether the reader may see its
household, and an erased household nobody may: the notice is an event addressed to one
organization, ``addressee_id``, in the scope ``addressed``. Existing events address nobody.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("addressee_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("addressee_id")
