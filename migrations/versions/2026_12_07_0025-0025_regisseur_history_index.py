"""regisseur history index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

A steering figure broken down by team counts each episode for the team of the household's
regisseur at the episode's end or the period's end, ended assignments included. That lookup
ran once per episode through the household's assignments by creation, then sorted them: at
100,000 households the series report's first request spent most of a second in it. A partial
index on the regisseur assignments by household and start answers it with one index probe.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISSEUR = "role_type = 'regisseur'"


def upgrade() -> None:
    op.create_index(
        "ix_role_assignments_regisseur_history",
        "role_assignments",
        ["household_id", "started_at"],
        sqlite_where=sa.text(REGISSEUR),
        postgresql_where=sa.text(REGISSEUR),
    )


def downgrade() -> None:
    op.drop_index("ix_role_assignments_regisseur_history", table_name="role_assignments")
