"""Indications, keyed by municipality and the municipal system's own number.

The municipal system is the source of truth; a row is its mirror. ``content_hash`` lets a
re-sent record answer ``unchanged`` without comparing column by column, and
``(updated_at, id)`` orders the reconciliation list.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class IndicationStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"


class Regulation(StrEnum):
    JEUGDWET = "jeugdwet"
    WMO = "wmo"


class Indication(SQLModel, table=True):
    """A decision (beschikking / toewijzing) for a person, linked to a member by BSN."""

    __tablename__ = "indications"
    __table_args__ = (
        UniqueConstraint("municipality_code", "indication_number"),
        CheckConstraint("status IN ('active', 'ended', 'withdrawn')", name="status"),
        CheckConstraint("regulation IN ('jeugdwet', 'wmo')", name="regulation"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        CheckConstraint("length(bsn) = 9", name="bsn_length"),
        Index(None, "bsn"),
        Index(None, "household_id", "created_at"),
        Index(None, "municipality_code", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    municipality_code: str = Field(max_length=4)
    indication_number: str = Field(max_length=40)
    regulation: str = Field(max_length=10)
    bsn: str = Field(max_length=9)
    member_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("members.id", ondelete="SET NULL")]
    )
    household_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("households.id", ondelete="SET NULL")]
    )
    product_category: str = Field(max_length=2)
    product_code: str | None = Field(default=None, max_length=5)
    volume: int | None = None
    unit: str | None = Field(default=None, max_length=2)
    frequency: str | None = Field(default=None, max_length=1)
    provider_agb: str = Field(max_length=8)
    provider_organization_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("organizations.id", ondelete="SET NULL")]
    )
    start_date: date
    end_date: date | None = None
    decision_date: date
    change_reason: str | None = Field(default=None, max_length=2)
    status: str = Field(max_length=10)
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
