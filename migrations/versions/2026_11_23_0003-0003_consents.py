"""consents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

The family's consent: grantee organization, data categories, optional life domains, purpose,
validity and the member who gave it. Withdrawal is a date on the row; nothing is deleted,
and the member who gave a consent cannot be removed while it exists (RESTRICT).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("grantee_organization_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("given_by_member_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawn_by IS NULL)", name=op.f("ck_consents_withdrawal")
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_consents_period")
        ),
        sa.ForeignKeyConstraint(
            ["given_by_member_id"],
            ["members.id"],
            name=op.f("fk_consents_given_by_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["grantee_organization_id"],
            ["organizations.id"],
            name=op.f("fk_consents_grantee_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_consents_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        op.f("ix_consents_grantee_organization_id_household_id"),
        "consents",
        ["grantee_organization_id", "household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_consents_household_id_created_at"),
        "consents",
        ["household_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "consent_categories",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consents.id"],
            name=op.f("fk_consent_categories_consent_id_consents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consent_id", "category", name=op.f("pk_consent_categories")),
    )
    op.create_table(
        "consent_domains",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("life_domain", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consents.id"],
            name=op.f("fk_consent_domains_consent_id_consents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consent_id", "life_domain", name=op.f("pk_consent_domains")),
    )


def downgrade() -> None:
    op.drop_table("consent_domains")
    op.drop_table("consent_categories")
    op.drop_index(op.f("ix_consents_household_id_created_at"), table_name="consents")
    op.drop_index(op.f("ix_consents_grantee_organization_id_household_id"), table_name="consents")

    op.drop_table("consents")
