"""delivery purge indexes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

The delivery worker purges the deliveries settled longer ago than events are kept, and
their attempts with them (decision 0028). Two indexes make that a range and a lookup instead
of scans: deliveries by creation, attempts by delivery (PostgreSQL does not index a foreign
key by itself, and each deleted delivery looks its attempts up by it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_deliveries_created_at"), "deliveries", ["created_at"])
    op.create_index(op.f("ix_delivery_attempts_delivery_id"), "delivery_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_attempts_delivery_id"), table_name="delivery_attempts")
    op.drop_index(op.f("ix_deliveries_created_at"), table_name="deliveries")
