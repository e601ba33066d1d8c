"""A family's request under the AVG (access, rectification, erasure, restriction, objection),
with its due date, its one extension and its decision.

The due date is stored, not derived on each read, so the privacy officer's worklist sorts and
filters on an indexed column; ``term_months`` and ``extension_months`` say how it was reached.
A restriction of processing, placed on such a request or on the officer's own motion, is a
row of its own that the access predicates read (``access.predicates``).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class RequestKind(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"


class RequestStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"


class RightsRequest(SQLModel, table=True):
    __tablename__ = "rights_requests"
    __table_args__ = (
        CheckConstraint("term_months IN (1, 3)", name="term"),
        CheckConstraint("extension_months IS NULL OR extension_months IN (1, 2)", name="extension"),
        CheckConstraint(
            "(extended_at IS NULL) = (extended_by IS NULL) "
            "AND (extended_at IS NULL) = (extension_months IS NULL)",
            name="extended",
        ),
        CheckConstraint(
            "(decided_at IS NULL) = (decided_by IS NULL) "
            "AND (decided_at IS NULL) = (outcome IS NULL)",
            name="decided",
        ),
        Index(None, "household_id", "created_at"),
        Index(None, "decided_at", "due_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE")
    # RESTRICT: whom a request concerns stays in the file while the request is handled.
    member_id: uuid.UUID = Field(sa_column_args=[ForeignKey("members.id", ondelete="RESTRICT")])
    kind: str = Field(max_length=20)
    explanation: str | None = Field(default=None, max_length=4000)
    filed_by: str = Field(max_length=200)
    filed_on: date
    term_months: int
    due_on: date
    extended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extended_by: str | None = Field(default=None, max_length=200)
    extension_months: int | None = None
    extension_reason: str | None = Field(default=None, max_length=4000)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=20)
    decision_reason: str | None = Field(default=None, max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def status(self) -> RequestStatus:
        return RequestStatus.OPEN if self.decided_at is None else RequestStatus.DECIDED


# Active restrictions: those the access predicates look for on every care provider's read.
ACTIVE_RESTRICTION = "lifted_at IS NULL"


class Restriction(SQLModel, table=True):
    """A restriction of processing (AVG art. 18) of a whole household (``member_id`` null) or
    of one member: while it holds (``lifted_at`` null) the data is only stored, and care
    providers and machine clients reach none of it. Lifting keeps the row as history."""

    __tablename__ = "restrictions"
    __table_args__ = (
        CheckConstraint(
            "(lifted_at IS NULL) = (lifted_by IS NULL) "
            "AND (lifted_at IS NULL) = (lift_reason IS NULL) "
            "AND (lifted_at IS NULL) = (family_informed_on IS NULL)",
            name="lifted",
        ),
        # The access predicates' one NOT EXISTS per read: active restrictions by household,
        # and by member for the member's own rows.
        Index(
            "ix_restrictions_active_household",
            "household_id",
            sqlite_where=text(ACTIVE_RESTRICTION),
            postgresql_where=text(ACTIVE_RESTRICTION),
        ),
        Index(
            "ix_restrictions_active_member",
            "member_id",
            sqlite_where=text(ACTIVE_RESTRICTION),
            postgresql_where=text(ACTIVE_RESTRICTION),
        ),
        Index(None, "household_id", "placed_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE")
    # RESTRICT: a restricted member stays in the file while their restriction is on record.
    member_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("members.id", ondelete="RESTRICT")]
    )
    reason: str = Field(max_length=4000)
    rights_request_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("rights_requests.id", ondelete="RESTRICT")]
    )
    placed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    placed_by: str = Field(max_length=200)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_by: str | None = Field(default=None, max_length=200)
    lift_reason: str | None = Field(default=None, max_length=4000)
    # AVG art. 18(3): the family is told before the restriction is lifted; the officer says when.
    family_informed_on: date | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None
