"""Events: every change, in the order it committed, naming ids and never personal data."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, FetchedValue, Index, Integer, String
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime

# The scope of an event for one organization (``Event.addressee_id``), whoever may read the
# household: a notice about a household nobody may read any more (decision 0043).
ADDRESSED = "addressed"

# SQLite only autoincrements an INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class Event(SQLModel, table=True):
    """One change. ``(txid, seq)`` is its place in the feed.

    ``txid`` is the writing transaction's id on PostgreSQL (a column default, so bulk inserts
    get it too) and 0 on SQLite, whose single writer makes insert order commit order. ``scope``
    is the part of the household's file the change is about, ``life_domain`` the goal's domain
    for goal-bound changes: both decide, when the event is read, who may see it. An event in
    scope ``addressed`` is for one organization, ``addressee_id``, and for nobody else: a
    notice about a household none may read any more (decision 0043).
    """

    __tablename__ = "events"
    __table_args__ = (Index(None, "txid", "seq"), Index(None, "occurred_at"))

    seq: int | None = Field(default=None, sa_column=Column(SEQUENCE, primary_key=True))
    id: uuid.UUID = Field(default_factory=new_id, unique=True)
    txid: int | None = Field(
        default=None, sa_column=Column(BigInteger, FetchedValue(), nullable=False)
    )
    type: str = Field(sa_column=Column(String(60), nullable=False, index=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    household_id: uuid.UUID | None = Field(default=None, index=True)
    resource_type: str = Field(max_length=40)
    resource_id: uuid.UUID
    organization_id: uuid.UUID | None = Field(default=None)
    addressee_id: uuid.UUID | None = Field(default=None)
    scope: str | None = Field(default=None, max_length=20)
    life_domain: str | None = Field(default=None, max_length=40)


class FeedState(SQLModel, table=True):
    """The feed's one row: its epoch and how far events were purged.

    A cursor carries the epoch; after a restore the operator starts a new one
    (``gezinsplan events new-epoch``) and every old cursor answers 410 instead of skipping.
    """

    __tablename__ = "feed_state"

    id: int = Field(default=1, primary_key=True)
    epoch: uuid.UUID
    purged_txid: int = Field(default=0, sa_type=BigInteger)
    purged_seq: int = Field(default=0, sa_type=BigInteger)
