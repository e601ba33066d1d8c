"""The published figures of a passed period, as stored (see the package's docstring)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.types import UTCDateTime

# Raised when a computation's meaning changes, so figures published under the old one are
# not served as if computed under the new one.
DEFINITIONS = 1


class PublishedFigures(SQLModel, table=True):
    """One period of one indicator as published to one scope."""

    __tablename__ = "steering_snapshots"

    indicator: str = Field(primary_key=True, max_length=40)
    # Whose figures: the municipalities of policy staff, or an access team and its municipalities.
    scope: str = Field(primary_key=True, max_length=600)
    breakdown: str = Field(primary_key=True, max_length=40)
    period: str = Field(primary_key=True, max_length=10)
    definitions: int = Field(primary_key=True)
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
