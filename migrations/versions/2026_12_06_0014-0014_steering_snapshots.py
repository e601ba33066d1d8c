"""steering_snapshots

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

The figures of passed periods as they were published (rounded and suppressed), per indicator,
scope, breakdown, period and version of the definitions: read back instead of computed again,
so a published period keeps its answer after later changes and erasures.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "steering_snapshots",
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=600), nullable=False),
        sa.Column("breakdown", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("definitions", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "indicator",
            "scope",
            "breakdown",
            "period",
            "definitions",
            name=op.f("pk_steering_snapshots"),
        ),
    )


def downgrade() -> None:
    op.drop_table("steering_snapshots")
