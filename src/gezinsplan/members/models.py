"""Members of a household; a person (by BSN) is in at most one open household."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, text
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class Member(SQLModel, table=True):
    """A person in a household.

    ``household_status`` mirrors the household's status through a composite foreign key
    with ON UPDATE CASCADE, so the database itself keeps it current and the partial unique
    index on ``bsn`` can say "at most one open household per person".
    """

    __tablename__ = "members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "household_status"],
            ["households.id", "households.status"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        CheckConstraint("relation IN ('parent', 'child', 'partner', 'other')", name="relation"),
        CheckConstraint("bsn IS NULL OR length(bsn) = 9", name="bsn_length"),
        Index(
            "uq_members_bsn_open",
            "bsn",
            unique=True,
            sqlite_where=text("household_status = 'open' AND bsn IS NOT NULL"),
            postgresql_where=text("household_status = 'open' AND bsn IS NOT NULL"),
        ),
        Index(None, "household_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID
    household_status: str = Field(max_length=10)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    birth_date: date
    bsn: str | None = Field(default=None, max_length=9)
    relation: str = Field(max_length=10)
    is_guardian: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
