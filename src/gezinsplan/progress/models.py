"""Progress updates: a care provider's reports on a goal, append-only.

A correction is a new update that names the one it corrects; the original stays. Each update
is corrected at most once (a unique ``corrects_id``): a later correction corrects the
correction, so the history is a chain, never a fork. The database refuses UPDATE and DELETE
on the table (migration 0006), and a goal with updates cannot be removed (RESTRICT).
"""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime
from gezinsplan.plans.models import ZRM_RANGE


class ProgressUpdate(SQLModel, table=True):
    __tablename__ = "progress_updates"
    __table_args__ = (
        CheckConstraint(f"zrm_score {ZRM_RANGE}", name="zrm_score"),
        CheckConstraint("outcome_note IS NULL OR outcome IS NOT NULL", name="outcome_note"),
        # A partner's own id names one update of its organization, so a resent push is found.
        UniqueConstraint("organization_id", "external_id"),
        UniqueConstraint("corrects_id"),
        Index(None, "household_id", "created_at"),
        Index(None, "goal_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id")
    goal_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("goals.id", ondelete="RESTRICT")], nullable=False
    )
    organization_id: uuid.UUID | None = Field(
        default=None,
        foreign_key="organizations.id",
        description="The care provider the goal is assigned to, when it reported; else null.",
    )
    author_sub: str = Field(max_length=200)
    author_name: str = Field(max_length=200)
    client_sub: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=4000)
    reported_on: date
    zrm_score: int | None = None
    outcome: str | None = Field(default=None, max_length=40)
    outcome_note: str | None = Field(default=None, max_length=4000)
    corrects_id: uuid.UUID | None = Field(
        default=None, sa_column_args=[ForeignKey("progress_updates.id", ondelete="RESTRICT")]
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
