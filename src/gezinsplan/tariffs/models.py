"""Tariffs, keyed by municipality, regulation, product category and code, and start of validity.

The municipal system is the source of truth; a row is its mirror, as with indications.
``product_code`` is ``''`` for the category's default tariff rather than NULL: a unique key
treats NULLs as distinct on both engines, so a NULL would let the default be stored twice.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime

# The stored product code of a category's default tariff.
CATEGORY_DEFAULT = ""


class Tariff(SQLModel, table=True):
    """A price per unit in euro cents, valid from a day until a day (inclusive) or open."""

    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint(
            "municipality_code",
            "regulation",
            "product_category",
            "product_code",
            "valid_from",
            # The conventional name would pass PostgreSQL's 63 characters.
            name="uq_tariffs_key",
        ),
        CheckConstraint("regulation IN ('jeugdwet', 'wmo')", name="regulation"),
        CheckConstraint("price_cents > 0", name="price"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
        Index(None, "municipality_code", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    municipality_code: str = Field(max_length=4)
    regulation: str = Field(max_length=10)
    product_category: str = Field(max_length=2)
    product_code: str = Field(max_length=5)
    unit: str = Field(max_length=2)
    price_cents: int
    valid_from: date
    valid_until: date | None = None
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
