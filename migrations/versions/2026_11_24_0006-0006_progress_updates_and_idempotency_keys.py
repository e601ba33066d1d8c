"""progress updates and idempotency keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

Progress updates on goals, append-only: triggers refuse UPDATE and DELETE on both engines
(and TRUNCATE on PostgreSQL), a correction is a new row naming the one it corrects (unique,
so each is corrected once), and a goal with updates is not removed (RESTRICT). A partner's
external id is unique per organization. Idempotency keys store the first response to a
request, per client, until they expire.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "progress_updates"


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'progress updates are append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION progress_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'progress updates are append-only (%)', TG_OP "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION progress_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION progress_append_only()"
    )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{operation}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    op.execute("DROP FUNCTION IF EXISTS progress_append_only()")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("author_sub", sa.String(length=200), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("client_sub", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("zrm_score", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_note", sa.String(length=4000), nullable=True),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("zrm_score BETWEEN 1 AND 5", name=op.f("ck_progress_updates_zrm_score")),
        sa.CheckConstraint(
            "outcome_note IS NULL OR outcome IS NOT NULL",
            name=op.f("ck_progress_updates_outcome_note"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            [f"{TABLE}.id"],
            name=op.f("fk_progress_updates_corrects_id_progress_updates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goals.id"],
            name=op.f("fk_progress_updates_goal_id_goals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_progress_updates_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_progress_updates_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_updates")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_progress_updates_corrects_id")),
        sa.UniqueConstraint(
            "organization_id",
            "external_id",
            name=op.f("uq_progress_updates_organization_id_external_id"),
        ),
    )
    op.create_index(
        op.f("ix_progress_updates_goal_id_created_at"),
        TABLE,
        ["goal_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_progress_updates_household_id_created_at"),
        TABLE,
        ["household_id", "created_at"],
        unique=False,
    )
    create_triggers()

    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", sa.String(length=2000), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    drop_triggers()
    op.drop_index(op.f("ix_progress_updates_household_id_created_at"), table_name=TABLE)
    op.drop_index(op.f("ix_progress_updates_goal_id_created_at"), table_name=TABLE)
    op.drop_table(TABLE)
