"""feed and webhooks

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

The change feed reads events in the order their transactions committed. On PostgreSQL each
event is stamped with its transaction's id by a column default; SQLite's single writer makes
insert order commit order, and its events carry 0. An event gets a public id (the
CloudEvents ``id``), the part of the file it is about (``scope``) and, for goal-bound
changes, the goal's life domain: who may see it is decided from these when it is read.
Existing events are filled in the same way. ``feed_state`` holds the feed's epoch and how far
it was purged. Webhook subscriptions, the deliveries owed to them and every attempt get their
tables.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
TRANSACTION_ID = "(pg_current_xact_id()::text::bigint)"

# The scope of each event type's change, by the type's first word (as events/service.py).
SCOPES = {
    "household": "basic",
    "member": "basic",
    "plan": "plan",
    "goal": "plan",
    "action": "plan",
    "evaluation": "plan",
    "regisseur": "roles",
    "care_provider": "roles",
    "role": "roles",
    "consent": "consents",
    "progress": "progress",
    "indication": "indications",
}
# Goal-bound events get their goal's life domain.
FILL_LIFE_DOMAINS = (
    "UPDATE events SET life_domain = (SELECT life_domain FROM goals "
    "WHERE goals.id = events.resource_id) WHERE resource_type = 'goal'",
    "UPDATE events SET life_domain = (SELECT goals.life_domain FROM actions "
    "JOIN goals ON goals.id = actions.goal_id WHERE actions.id = events.resource_id) "
    "WHERE resource_type = 'action'",
    "UPDATE events SET life_domain = (SELECT goals.life_domain FROM progress_updates "
    "JOIN goals ON goals.id = progress_updates.goal_id "
    "WHERE progress_updates.id = events.resource_id) WHERE resource_type = 'progress_update'",
)


def _fill_events() -> None:
    """Give every existing event its id, scope and life domain."""
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    random_id = "gen_random_uuid()" if postgresql else "lower(hex(randomblob(16)))"
    op.execute(f"UPDATE events SET id = {random_id}")  # noqa: S608 - constants only
    scope = " ".join(f"WHEN type LIKE '{word}.%' THEN '{s}'" for word, s in SCOPES.items())
    op.execute(f"UPDATE events SET scope = CASE {scope} END")  # noqa: S608 - constants only
    op.execute("UPDATE events SET scope = 'approvals' WHERE type = 'plan.approved'")
    for fill in FILL_LIFE_DOMAINS:
        op.execute(fill)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column(
                "txid",
                sa.BigInteger(),
                server_default=sa.text(TRANSACTION_ID) if postgresql else sa.text("0"),
                nullable=False,
            )
        )
        batch.add_column(sa.Column("scope", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("life_domain", sa.String(length=40), nullable=True))
    _fill_events()
    with op.batch_alter_table("events") as batch:
        batch.alter_column("id", existing_type=sa.Uuid(), nullable=False)
        batch.create_unique_constraint(batch.f("uq_events_id"), ["id"])
        batch.create_index(batch.f("ix_events_txid_seq"), ["txid", "seq"])
        batch.create_index(batch.f("ix_events_occurred_at"), ["occurred_at"])

    feed_state = op.create_table(
        "feed_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Uuid(), nullable=False),
        sa.Column("purged_txid", sa.BigInteger(), nullable=False),
        sa.Column("purged_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_state")),
    )
    op.bulk_insert(
        feed_state, [{"id": 1, "epoch": uuid.uuid4(), "purged_txid": 0, "purged_seq": 0}]
    )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_role", sa.String(length=30), nullable=False),
        sa.Column("municipalities", sa.JSON(), nullable=False),
        sa.Column("callback_url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_until", INSTANT, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("disabled_at", INSTANT, nullable=True),
        sa.Column("failing_since", INSTANT, nullable=True),
        sa.Column("feed_txid", sa.BigInteger(), nullable=False),
        sa.Column("feed_seq", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_subscriptions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_organization_id"), "subscriptions", ["organization_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", SEQUENCE, nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_deliveries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(
        op.f("ix_deliveries_subscription_id_event_seq"),
        "deliveries",
        ["subscription_id", "event_seq"],
        unique=True,
    )
    op.create_index(
        op.f("ix_deliveries_subscription_id_status_id"),
        "deliveries",
        ["subscription_id", "status", "id"],
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", SEQUENCE, nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", SEQUENCE, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", INSTANT, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_delivery_attempts_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_subscription_id_id"),
        "delivery_attempts",
        ["subscription_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_table("feed_state")
    with op.batch_alter_table("events") as batch:
        batch.drop_index(batch.f("ix_events_occurred_at"))
        batch.drop_index(batch.f("ix_events_txid_seq"))
        batch.drop_constraint(batch.f("uq_events_id"), type_="unique")
        batch.drop_column("life_domain")
        batch.drop_column("scope")
        batch.drop_column("txid")
        batch.drop_column("id")
