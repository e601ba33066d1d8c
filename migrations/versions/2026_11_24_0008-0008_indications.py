"""indications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

The municipal decisions (iJw / iWmo assignments) mirrored by key: unique per municipality
and the municipal system's indication number, linked to a member (and its household) by BSN,
and to the provider's organization by AGB code. A removed member, household or organization
leaves the indication in place, unlinked (SET NULL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
# Chained after 0007 on this branch (one head); the team rechains it when merging.
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("indication_number", sa.String(length=40), nullable=False),
        sa.Column("regulation", sa.String(length=10), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("product_category", sa.String(length=2), nullable=False),
        sa.Column("product_code", sa.String(length=5), nullable=True),
        sa.Column("volume", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=2), nullable=True),
        sa.Column("frequency", sa.String(length=1), nullable=True),
        sa.Column("provider_agb", sa.String(length=8), nullable=False),
        sa.Column("provider_organization_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("change_reason", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'ended', 'withdrawn')", name=op.f("ck_indications_status")
        ),
        sa.CheckConstraint(
            "regulation IN ('jeugdwet', 'wmo')", name=op.f("ck_indications_regulation")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_indications_period")
        ),
        sa.CheckConstraint("length(bsn) = 9", name=op.f("ck_indications_bsn_length")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_indications_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_indications_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_organization_id"],
            ["organizations.id"],
            name=op.f("fk_indications_provider_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indications")),
        sa.UniqueConstraint(
            "municipality_code",
            "indication_number",
            name=op.f("uq_indications_municipality_code_indication_number"),
        ),
    )
    op.create_index(op.f("ix_indications_bsn"), "indications", ["bsn"], unique=False)
    op.create_index(
        op.f("ix_indications_household_id_created_at"),
        "indications",
        ["household_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indications_municipality_code_updated_at_id"),
        "indications",
        ["municipality_code", "updated_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_indications_municipality_code_updated_at_id"), table_name="indications")
    op.drop_index(op.f("ix_indications_household_id_created_at"), table_name="indications")
    op.drop_index(op.f("ix_indications_bsn"), table_name="indications")
    op.drop_table("indications")
