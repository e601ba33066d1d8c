"""Episodes: the open periods of a household, from opening to closing, kept as history.

Inflow, outflow, duration and relapse are counted in episodes, so each one carries where it
came from (the referral source) and why it ended (the closing reason); reopening a household
starts a new episode instead of erasing the last one's end.
"""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, false, text
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime

OPEN_EPISODE = "closed_at IS NULL"


class Episode(SQLModel, table=True):
    __tablename__ = "episodes"
    __table_args__ = (
        CheckConstraint("(closed_at IS NULL) = (closing_reason IS NULL)", name="closing"),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="period"),
        # At most one open episode per household; also the worklist's "current episode".
        Index(
            "uq_episodes_open",
            "household_id",
            unique=True,
            sqlite_where=text(OPEN_EPISODE),
            postgresql_where=text(OPEN_EPISODE),
        ),
        Index(None, "household_id", "opened_at"),
        # The steering figures read episodes by the period they opened or closed in.
        Index(None, "opened_at"),
        Index(None, "closed_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Null for episodes rebuilt from the history that existed before episodes were recorded.
    opened_by: str | None = Field(default=None, max_length=200)
    referral_source: str = Field(max_length=40)
    # CBS "herhaald beroep" (episodes/repeat.py), decided at the opening: it cannot change.
    is_repeat: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=200)
    closing_reason: str | None = Field(default=None, max_length=40)
