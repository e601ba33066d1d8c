"""Webhook subscriptions, the deliveries owed to them, and every attempt made.

A subscription belongs to one organization and reads the feed with that organization's
grounds (``client_role``, ``municipalities``), judged when an event is delivered, never when
it was written. ``feed_txid``/``feed_seq`` is how far the feed was copied into deliveries;
the lease lets one worker at a time work on a subscription and another take over when it
crashes.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime

SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # The subscriber may no longer see the event (a consent withdrawn): never sent.
    WITHHELD = "withheld"


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "organization_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id")
    client_role: str = Field(max_length=30)
    municipalities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    callback_url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    household_id: uuid.UUID | None = None
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    feed_txid: int = Field(default=0, sa_type=BigInteger)
    feed_seq: int = Field(default=0, sa_type=BigInteger)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One event owed to one subscription; ``id`` orders them as the feed did."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(None, "subscription_id", "event_seq", unique=True),
        Index(None, "subscription_id", "status", "id"),
        # The purge's range: the rows settled longer ago than the events are kept.
        Index(None, "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(SEQUENCE, primary_key=True))
    subscription_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False)
    )
    event_seq: int = Field(sa_type=BigInteger)
    household_id: uuid.UUID | None = None
    status: str = Field(default=DeliveryStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """One POST to a callback: when, the answer, how long it took; never the payload."""

    __tablename__ = "delivery_attempts"
    # By delivery: a purged delivery's attempts go with it (ON DELETE CASCADE) by this index.
    __table_args__ = (Index(None, "subscription_id", "id"), Index(None, "delivery_id"))

    id: int | None = Field(default=None, sa_column=Column(SEQUENCE, primary_key=True))
    subscription_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False)
    )
    delivery_id: int = Field(
        sa_column=Column(SEQUENCE, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: uuid.UUID
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = Field(default=None, max_length=200)
