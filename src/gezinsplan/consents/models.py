"""The family's consent: which organization may see which data categories, for what, until when.

Nothing here is ever deleted: a withdrawal is a date on the consent, and expiry follows from
``valid_until``, so the history of what was shared stays readable.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class ConsentStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Consent(SQLModel, table=True):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period"),
        CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_by IS NULL)", name="withdrawal"),
        Index(None, "household_id", "created_at"),
        Index(None, "grantee_organization_id", "household_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE")
    grantee_organization_id: uuid.UUID = Field(foreign_key="organizations.id")
    purpose: str = Field(max_length=1000)
    valid_from: date
    valid_until: date | None = None
    # RESTRICT: the member who gave a consent stays in the file while the consent exists.
    given_by_member_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("members.id", ondelete="RESTRICT")]
    )
    recorded_by: str = Field(max_length=200)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: str | None = Field(default=None, max_length=200)
    withdrawal_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def status_on(self, day: date) -> ConsentStatus:
        if self.withdrawn_at is not None:
            return ConsentStatus.WITHDRAWN
        if day < self.valid_from:
            return ConsentStatus.PENDING
        if self.valid_until is not None and day > self.valid_until:
            return ConsentStatus.EXPIRED
        return ConsentStatus.ACTIVE


class ConsentCategory(SQLModel, table=True):
    """A data category the consent shares: basic, plan, progress or indications."""

    __tablename__ = "consent_categories"

    consent_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("consents.id", ondelete="CASCADE")], primary_key=True
    )
    category: str = Field(max_length=40, primary_key=True)


class ConsentDomain(SQLModel, table=True):
    """A life domain the consent is limited to; a consent without any covers every domain."""

    __tablename__ = "consent_domains"

    consent_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("consents.id", ondelete="CASCADE")], primary_key=True
    )
    life_domain: str = Field(max_length=40, primary_key=True)
