"""audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Audit records and the hash chain that seals them (docs/decisions/0011). Both tables are
append-only in the database itself: triggers refuse UPDATE and DELETE on both engines, and
TRUNCATE on PostgreSQL, whoever asks. Neither table has a foreign key to case data, so the
log outlives the households it is about.

SQLite loses a table's triggers when batch mode rebuilds it: a later migration that alters
either table in batch mode must create them again, as ``create_triggers`` here does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("audit_records", "audit_chain")


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} "
                    f"BEFORE {operation} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
                )
        return
    # restrict_violation: an IntegrityError on both engines, as SQLite's RAISE(ABORT) is.
    op.execute(
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for operation in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("number", NUMBER, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("actor_sub", sa.String(length=200), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("actor_organization_id", sa.Uuid(), nullable=True),
        sa.Column("actor_roles", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=True),
        sa.Column("legal_basis", sa.String(length=20), nullable=False),
        sa.Column("legal_basis_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("member_ids", sa.String(length=4000), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("traceparent", sa.String(length=100), nullable=True),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_audit_records")),
    )
    op.create_index(op.f("ix_audit_records_ended_at"), "audit_records", ["ended_at"], unique=False)
    op.create_index(
        op.f("ix_audit_records_household_id_started_at"),
        "audit_records",
        ["household_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "audit_chain",
        sa.Column("seq", NUMBER, autoincrement=False, nullable=False),
        sa.Column("record_number", NUMBER, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_number"],
            ["audit_records.number"],
            name=op.f("fk_audit_chain_record_number_audit_records"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("record_number", name=op.f("uq_audit_chain_record_number")),
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("audit_chain")
    op.drop_index(op.f("ix_audit_records_household_id_started_at"), table_name="audit_records")
    op.drop_index(op.f("ix_audit_records_ended_at"), table_name="audit_records")
    op.drop_table("audit_records")
