"""tariffs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

The municipality's price per unit of a product (in euro cents) for a validity period, mirrored
from the municipal system by key: municipality, regulation, product category, product code
(empty for the category's default) and the first day of validity.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("regulation", sa.String(length=10), nullable=False),
        sa.Column("product_category", sa.String(length=2), nullable=False),
        sa.Column("product_code", sa.String(length=5), nullable=False),
        sa.Column("unit", sa.String(length=2), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("regulation IN ('jeugdwet', 'wmo')", name=op.f("ck_tariffs_regulation")),
        sa.CheckConstraint("price_cents > 0", name=op.f("ck_tariffs_price")),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_tariffs_validity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        sa.UniqueConstraint(
            "municipality_code",
            "regulation",
            "product_category",
            "product_code",
            "valid_from",
            name=op.f("uq_tariffs_key"),
        ),
    )
    op.create_index(
        op.f("ix_tariffs_municipality_code_updated_at_id"),
        "tariffs",
        ["municipality_code", "updated_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tariffs_municipality_code_updated_at_id"), table_name="tariffs")
    op.drop_table("tariffs")
