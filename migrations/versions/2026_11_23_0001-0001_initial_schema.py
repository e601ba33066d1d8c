"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Organizations, households with their members, and the event log. Members carry the
household's status through a composite foreign key with ON UPDATE CASCADE, so the partial
unique index on bsn enforces "a person is in at most one open household" in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_household_id"), "events", ["household_id"], unique=False)
    op.create_index(op.f("ix_events_type"), "events", ["type"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=True),
        sa.Column("agb_code", sa.String(length=8), nullable=True),
        sa.Column("kvk_number", sa.String(length=8), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'care_provider') = (agb_code IS NOT NULL)",
            name=op.f("ck_organizations_agb_code"),
        ),
        sa.CheckConstraint(
            "(kind = 'municipality') = (municipality_code IS NOT NULL)",
            name=op.f("ck_organizations_municipality_code"),
        ),
        sa.CheckConstraint(
            "kind IN ('municipality', 'access_team', 'care_provider')",
            name=op.f("ck_organizations_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("agb_code", name=op.f("uq_organizations_agb_code")),
        sa.UniqueConstraint("municipality_code", name=op.f("uq_organizations_municipality_code")),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closing_reason", sa.String(length=40), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closing_reason IS NOT NULL AND closed_at IS NOT NULL)",
            name=op.f("ck_households_closing"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_households_status")),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["organizations.municipality_code"],
            name=op.f("fk_households_municipality_code_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("id", "status", name=op.f("uq_households_id_status")),
    )
    op.create_index(
        op.f("ix_households_municipality_code_status_created_at"),
        "households",
        ["municipality_code", "status", "created_at"],
        unique=False,
    )

    op.create_table(
        "served_municipalities",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["organizations.municipality_code"],
            name=op.f("fk_served_municipalities_municipality_code_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_served_municipalities_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "municipality_code", name=op.f("pk_served_municipalities")
        ),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("household_status", sa.String(length=10), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=True),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("is_guardian", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relation IN ('parent', 'child', 'partner', 'other')", name=op.f("ck_members_relation")
        ),
        sa.CheckConstraint("bsn IS NULL OR length(bsn) = 9", name=op.f("ck_members_bsn_length")),
        sa.ForeignKeyConstraint(
            ["household_id", "household_status"],
            ["households.id", "households.status"],
            name=op.f("fk_members_household_id_household_status_households"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_index(
        op.f("ix_members_household_id_created_at"),
        "members",
        ["household_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_members_bsn_open",
        "members",
        ["bsn"],
        unique=True,
        sqlite_where=sa.text("household_status = 'open' AND bsn IS NOT NULL"),
        postgresql_where=sa.text("household_status = 'open' AND bsn IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_members_bsn_open", table_name="members")
    op.drop_index(op.f("ix_members_household_id_created_at"), table_name="members")

    op.drop_table("members")
    op.drop_table("served_municipalities")
    op.drop_index(
        op.f("ix_households_municipality_code_status_created_at"), table_name="households"
    )

    op.drop_table("households")
    op.drop_table("organizations")
    op.drop_index(op.f("ix_events_type"), table_name="events")
    op.drop_index(op.f("ix_events_household_id"), table_name="events")

    op.drop_table("events")
