"""Households: one municipality each, ``open`` -> ``closed`` (with a reason) -> reopened."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class HouseholdStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class HouseholdRef(Protocol):
    """What the access rules read of a household: which one it is, and its municipality."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def municipality_code(self) -> str: ...


@dataclass(frozen=True, slots=True)
class HouseholdKey:
    """A household admitted to a route that only reads: its ``HouseholdRef`` as a plain row.
    Loading the ORM instance, which nothing there changes, cost more than the statement."""

    id: uuid.UUID
    municipality_code: str


class Household(SQLModel, table=True):
    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint(
            "(status = 'closed') = (closing_reason IS NOT NULL AND closed_at IS NOT NULL)",
            name="closing",
        ),
        # The target of the members' (household_id, household_status) foreign key.
        UniqueConstraint("id", "status"),
        Index(None, "municipality_code", "status", "created_at"),
        # The list's page order: a page is read in order and stops at its size, so a page
        # (with or without a name search) costs the same whatever the number of households.
        Index(None, "created_at", "id"),
        # The retention run finds the files whose term has passed.
        Index(None, "retention_ends_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    municipality_code: str = Field(foreign_key="organizations.municipality_code", max_length=4)
    name: str = Field(max_length=200)
    status: str = Field(default=HouseholdStatus.OPEN, max_length=10)
    closing_reason: str | None = Field(default=None, max_length=40)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # How long the file is kept (``rights.retention``), as the last retention run or erasure
    # found it; ``erased_at`` set: its personal data is gone and it answers 404 to everyone.
    retention_class: str | None = Field(default=None, max_length=20)
    retention_ends_on: date | None = None
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
