"""corrections and statements

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

Rectification (AVG art. 16): a member's fact fields keep their old value, who changed it,
when and why (``member_corrections``); the family's own statement on a goal, an evaluation
or a progress update is attached to it, never overwriting it (``family_statements``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)
CORRECTIONS = "member_corrections"
STATEMENTS = "family_statements"


def upgrade() -> None:
    op.create_table(
        CORRECTIONS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=True),
        sa.Column("new_value", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=4000), nullable=True),
        sa.Column("corrected_by", sa.String(length=200), nullable=False),
        sa.Column("corrected_at", INSTANT, nullable=False),
        sa.Column("rights_request_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "field IN ('given_name', 'family_name', 'birth_date', 'bsn', 'relation', "
            "'is_guardian')",
            name=op.f("ck_member_corrections_field"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_member_corrections_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_corrections_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rights_request_id"],
            ["rights_requests.id"],
            name=op.f("fk_member_corrections_rights_request_id_rights_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_corrections")),
    )
    op.create_index(
        op.f("ix_member_corrections_household_id_corrected_at"),
        CORRECTIONS,
        ["household_id", "corrected_at"],
    )
    op.create_index(
        op.f("ix_member_corrections_member_id_corrected_at"),
        CORRECTIONS,
        ["member_id", "corrected_at"],
    )
    op.create_table(
        STATEMENTS,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("made_by_sub", sa.String(length=200), nullable=False),
        sa.Column("made_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("made_at", INSTANT, nullable=False),
        sa.CheckConstraint(
            "subject_kind IN ('goal', 'evaluation', 'progress_update')",
            name=op.f("ck_family_statements_subject_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_family_statements_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["made_by_member_id"],
            ["members.id"],
            name=op.f("fk_family_statements_made_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_statements")),
    )
    op.create_index(
        op.f("ix_family_statements_household_id_made_at"), STATEMENTS, ["household_id", "made_at"]
    )
    op.create_index(op.f("ix_family_statements_subject_id"), STATEMENTS, ["subject_id"])


def downgrade() -> None:
    op.drop_table(STATEMENTS)  # their indexes go with them
    op.drop_table(CORRECTIONS)
