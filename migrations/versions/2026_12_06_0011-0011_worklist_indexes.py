"""worklist indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

The team worklist reads the active regisseur assignments of one organization; the caseload
index leads with the professional, so an organization's assignments get their own partial
index (organization, household) over active regisseurs only. Every other worklist query
reaches its rows through an index that already exists (per household or per plan).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_REGISSEUR = sa.text("role_type = 'regisseur' AND ended_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_role_assignments_team",
        "role_assignments",
        ["organization_id", "household_id"],
        unique=False,
        sqlite_where=ACTIVE_REGISSEUR,
        postgresql_where=ACTIVE_REGISSEUR,
    )


def downgrade() -> None:
    op.drop_index("ix_role_assignments_team", table_name="role_assignments")
