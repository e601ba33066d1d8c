"""Events: every change, in the order it happened, naming ids and never personal data."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class Event(SQLModel, table=True):
    __tablename__ = "events"

    seq: int | None = Field(default=None, sa_column=Column(SEQUENCE, primary_key=True))
    type: str = Field(sa_column=Column(String(60), nullable=False, index=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    household_id: uuid.UUID | None = Field(default=None, index=True)
    resource_type: str = Field(max_length=40)
    resource_id: uuid.UUID
    organization_id: uuid.UUID | None = Field(default=None)
