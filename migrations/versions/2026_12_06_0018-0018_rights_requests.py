"""rights requests

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

A family's request under the AVG (access, rectification, erasure, restriction, objection):
when it was filed and by whom, its due date (one month, three for the erasure of a youth-care
file), its one extension and its decision. The due date is a column so the privacy officer's
worklist sorts open requests by it on an index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)
TABLE = "rights_requests"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("explanation", sa.String(length=4000), nullable=True),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_at", INSTANT, nullable=True),
        sa.Column("extended_by", sa.String(length=200), nullable=True),
        sa.Column("extension_months", sa.Integer(), nullable=True),
        sa.Column("extension_reason", sa.String(length=4000), nullable=True),
        sa.Column("decided_at", INSTANT, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "(decided_at IS NULL) = (decided_by IS NULL) "
            "AND (decided_at IS NULL) = (outcome IS NULL)",
            name=op.f("ck_rights_requests_decided"),
        ),
        sa.CheckConstraint(
            "(extended_at IS NULL) = (extended_by IS NULL) "
            "AND (extended_at IS NULL) = (extension_months IS NULL)",
            name=op.f("ck_rights_requests_extended"),
        ),
        sa.CheckConstraint(
            "extension_months IS NULL OR extension_months IN (1, 2)",
            name=op.f("ck_rights_requests_extension"),
        ),
        sa.CheckConstraint("term_months IN (1, 3)", name=op.f("ck_rights_requests_term")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_rights_requests_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_rights_requests_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    op.create_index(op.f("ix_rights_requests_decided_at_due_on"), TABLE, ["decided_at", "due_on"])
    op.create_index(
        op.f("ix_rights_requests_household_id_created_at"), TABLE, ["household_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its indexes go with it
