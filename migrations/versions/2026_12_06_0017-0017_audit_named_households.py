"""audit named households

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

A request that shows many households (a list, a search, a worklist, the feed, a sync) writes
one audit record naming them all: ``audit_records.named_households`` holds their ids, sealed
with the record, and ``audit_named_households`` indexes them, so each household's access log
finds the record. The index table is append-only like the audit tables (migration 0004).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "audit_named_households"


def upgrade() -> None:
    # A plain ADD COLUMN: no batch rebuild, so the append-only triggers of 0004 stay.
    op.add_column(
        "audit_records",
        sa.Column("named_households", sa.Text(), server_default="", nullable=False),
    )
    op.create_table(
        TABLE,
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("record_number", NUMBER, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_number"],
            ["audit_records.number"],
            name=op.f("fk_audit_named_households_record_number_audit_records"),
        ),
        sa.PrimaryKeyConstraint("household_id", "record_number", name=op.f("pk_" + TABLE)),
    )
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
            )
        return
    op.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it
    with op.batch_alter_table("audit_records", recreate="never") as batch:
        batch.drop_column("named_households")
