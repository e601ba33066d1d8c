"""restrictions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

A restriction of processing (AVG art. 18) of a household or of one member: who placed it,
why, on which rights request, and when and why it was lifted (with the day the family was
told, art. 18(3)). The access predicates look for an active one on every care provider's
read, so the active ones are indexed by household and by member, partially (lifted_at IS
NULL), on both engines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)
TABLE = "restrictions"
ACTIVE = sa.text("lifted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("rights_request_id", sa.Uuid(), nullable=True),
        sa.Column("placed_at", INSTANT, nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("lifted_at", INSTANT, nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lift_reason", sa.String(length=4000), nullable=True),
        sa.Column("family_informed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(lifted_at IS NULL) = (lifted_by IS NULL) "
            "AND (lifted_at IS NULL) = (lift_reason IS NULL) "
            "AND (lifted_at IS NULL) = (family_informed_on IS NULL)",
            name=op.f("ck_restrictions_lifted"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_restrictions_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_restrictions_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rights_request_id"],
            ["rights_requests.id"],
            name=op.f("fk_restrictions_rights_request_id_rights_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
    )
    op.create_index(
        "ix_restrictions_active_household",
        TABLE,
        ["household_id"],
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_index(
        "ix_restrictions_active_member",
        TABLE,
        ["member_id"],
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_index(
        op.f("ix_restrictions_household_id_placed_at"), TABLE, ["household_id", "placed_at"]
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its indexes go with it
