"""erasure

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

Erasure within retention (issue 19 point 7). Households get their retention class, the end
of their retention and when they were erased. The audit log is pseudonymised, not deleted:
``audit_erasures`` keeps, per record of an erased household, the digest of its identifying
fields as they were sealed, so the chain still verifies; ``audit_chain_format`` says from
which ``seq`` a link hashes two digests of the record (the fields that stay, the identifying
ones) instead of the record (links sealed before this migration hash the record itself, and
their records are left as they are). The append-only triggers
of 0004, 0006 and 0017 let exactly the erasure's changes through: an erased household's
progress texts, its audit records' identifying fields and its rows of the named-households
index. On PostgreSQL the application's role has no UPDATE on the audit tables; it calls
``audit_pseudonymise``, which runs as the tables' owner and does only that.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
APPEND_ONLY = ("audit_erasures", "audit_chain_format")
# What an audit record keeps when its household is erased: everything but these.
KEPT = (
    "number",
    "started_at",
    "ended_at",
    "action",
    "outcome",
    "status_code",
    "actor_sub",
    "actor_name",
    "actor_organization_id",
    "actor_roles",
    "legal_basis",
    "legal_basis_id",
    "method",
    "resource",
    "client_address",
)
# An identifying field is either unchanged or becomes its erased value.
ERASED = (
    ("household_id", "NULL"),
    ("member_ids", "''"),
    ("resource_id", "NULL"),
    ("purpose", "NULL"),
    ("request_id", "'gewist'"),
    ("traceparent", "NULL"),
)
PROGRESS_KEPT = (
    "id",
    "household_id",
    "goal_id",
    "organization_id",
    "author_sub",
    "author_name",
    "client_sub",
    "external_id",
    "reported_on",
    "zrm_score",
    "outcome",
    "corrects_id",
    "created_at",
)


def _same(column: str, sqlite: bool) -> str:
    return f"NEW.{column} IS {'' if sqlite else 'NOT DISTINCT FROM '}OLD.{column}"


def _is(column: str, value: str, sqlite: bool) -> str:
    return f"NEW.{column} IS {'' if sqlite else 'NOT DISTINCT FROM '}{value}"


def _record_erasure(sqlite: bool) -> str:
    """The condition under which an UPDATE of an audit record is the erasure's."""
    return " AND ".join(
        [
            "EXISTS (SELECT 1 FROM audit_erasures e JOIN households h ON h.id = e.household_id "
            "WHERE e.record_number = OLD.number AND h.erased_at IS NOT NULL)",
            *(_same(name, sqlite) for name in KEPT),
            *(f"({_same(name, sqlite)} OR {_is(name, value, sqlite)})" for name, value in ERASED),
            "length(NEW.named_households) <= length(OLD.named_households)",
        ]
    )


def _progress_erasure(sqlite: bool) -> str:
    return " AND ".join(
        [
            "EXISTS (SELECT 1 FROM households h WHERE h.id = OLD.household_id "
            "AND h.erased_at IS NOT NULL)",
            *(_same(name, sqlite) for name in PROGRESS_KEPT),
            "NEW.text = 'gewist'",
            "NEW.outcome_note IS NULL",
        ]
    )


_NAMED_ERASURE = (
    "EXISTS (SELECT 1 FROM households h WHERE h.id = OLD.household_id AND h.erased_at IS NOT NULL)"
)

PSEUDONYMISE = """
CREATE FUNCTION audit_pseudonymise(erased uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM households WHERE id = erased AND erased_at IS NOT NULL) THEN
        RAISE EXCEPTION 'household % is not erased', erased USING ERRCODE = 'restrict_violation';
    END IF;
    UPDATE audit_records SET household_id = NULL, member_ids = '', resource_id = NULL,
        purpose = NULL, request_id = 'gewist', traceparent = NULL
    WHERE household_id = erased AND number IN (
        SELECT record_number FROM audit_erasures WHERE household_id = erased);
    UPDATE audit_records SET named_households = btrim(replace(
        ',' || named_households || ',', ',' || erased::text || ',', ','), ',')
    WHERE number IN (
        SELECT record_number FROM audit_erasures WHERE household_id = erased)
    AND named_households LIKE '%' || erased::text || '%';
    DELETE FROM audit_named_households WHERE household_id = erased;
END $$
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Plain ADD COLUMNs: no batch rebuild of households (the name search and the members'
    # foreign key stay as they are).
    op.add_column("households", sa.Column("retention_class", sa.String(length=20), nullable=True))
    op.add_column("households", sa.Column("retention_ends_on", sa.Date(), nullable=True))
    op.add_column("households", sa.Column("erased_at", INSTANT, nullable=True))
    op.create_index(op.f("ix_households_retention_ends_on"), "households", ["retention_ends_on"])
    op.create_table(
        "audit_erasures",
        sa.Column("record_number", NUMBER, nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("erased_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_number"],
            ["audit_records.number"],
            name=op.f("fk_audit_erasures_record_number_audit_records"),
        ),
        sa.PrimaryKeyConstraint("record_number", "household_id", name=op.f("pk_audit_erasures")),
    )
    op.create_table(
        "audit_chain_format",
        sa.Column("digests_from", NUMBER, nullable=False),
        sa.PrimaryKeyConstraint("digests_from", name=op.f("pk_audit_chain_format")),
    )
    op.execute(
        "INSERT INTO audit_chain_format (digests_from) SELECT coalesce(max(seq), 0) + 1 "
        "FROM audit_chain"
    )
    if sqlite:
        for table in APPEND_ONLY:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON "
                    f"{table} BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
                )
        for table, operation, allowed, message in (
            ("audit_records", "UPDATE", _record_erasure(True), "audit records are append-only"),
            ("audit_named_households", "DELETE", _NAMED_ERASURE, "audit records are append-only"),
            (
                "progress_updates",
                "UPDATE",
                _progress_erasure(True),
                "progress updates are append-only",
            ),
        ):
            name = f"{table}_no_{operation.lower()}"
            op.execute(f"DROP TRIGGER {name}")
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} WHEN NOT ({allowed}) "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
    for table, operation, other, allowed, refuse in (
        ("audit_records", "UPDATE", "DELETE", _record_erasure(False), "audit_append_only"),
        ("audit_named_households", "DELETE", "UPDATE", _NAMED_ERASURE, "audit_append_only"),
        ("progress_updates", "UPDATE", "DELETE", _progress_erasure(False), "progress_append_only"),
    ):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_no_{other.lower()} BEFORE {other} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {refuse}()"
        )
        row = "OLD" if operation == "DELETE" else "NEW"
        # A trigger's WHEN cannot hold a subquery: the guard asks, and refuses as before.
        op.execute(
            f"CREATE FUNCTION {table}_erasure() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {allowed} THEN RETURN {row}; END IF; "
            "RAISE EXCEPTION 'append-only (% on %)', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_erasure BEFORE {operation} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_erasure()"
        )
    op.execute(PSEUDONYMISE)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table, operation, message in (
            ("audit_records", "UPDATE", "audit records are append-only"),
            ("audit_named_households", "DELETE", "audit records are append-only"),
            ("progress_updates", "UPDATE", "progress updates are append-only"),
        ):
            name = f"{table}_no_{operation.lower()}"
            op.execute(f"DROP TRIGGER {name}")
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute("DROP FUNCTION audit_pseudonymise(uuid)")
        for table, other, refuse in (
            ("audit_records", "delete", "audit_append_only"),
            ("audit_named_households", "update", "audit_append_only"),
            ("progress_updates", "delete", "progress_append_only"),
        ):
            op.execute(f"DROP TRIGGER {table}_erasure ON {table}")
            op.execute(f"DROP FUNCTION {table}_erasure()")
            op.execute(f"DROP TRIGGER {table}_no_{other} ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {refuse}()"
            )
    op.drop_table("audit_chain_format")  # their triggers go with them
    op.drop_table("audit_erasures")
    op.drop_index(op.f("ix_households_retention_ends_on"), table_name="households")
    with op.batch_alter_table("households", recreate="never") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("retention_ends_on")
        batch.drop_column("retention_class")
