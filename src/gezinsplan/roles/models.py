"""Role assignments: who works on a household, from when until when.

The ``regisseur`` is one professional (their token's ``sub``) of an organization; a
``care_provider`` assignment names an organization. Ending an assignment keeps it as history.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, Index, literal_column, text
from sqlmodel import Field, SQLModel, col

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class RoleType(StrEnum):
    REGISSEUR = "regisseur"
    CARE_PROVIDER = "care_provider"


ACTIVE_REGISSEUR = "role_type = 'regisseur' AND ended_at IS NULL"
ACTIVE_CARE_PROVIDER = "role_type = 'care_provider' AND ended_at IS NULL"
REGISSEUR = "role_type = 'regisseur'"


def of_type(role: Any, role_type: RoleType) -> ColumnElement[bool]:
    """``role`` (the table or an alias of it) is an assignment of this type, with the type as
    a literal, not a parameter.

    A planner may use a partial index only where it can prove the index's predicate, which a
    parameter never allows: with the type as a parameter, PostgreSQL's generic plan of an
    access check read every assignment, and SQLite never uses the partial indexes below."""
    return col(role.role_type) == literal_column(f"'{role_type.value}'")


def active(role: Any, role_type: RoleType) -> list[ColumnElement[bool]]:
    """``role`` is an active assignment of this type: the predicate of the partial indexes
    below, the type as a literal (``of_type``)."""
    return [of_type(role, role_type), col(role.ended_at).is_(None)]


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("role_type IN ('regisseur', 'care_provider')", name="role_type"),
        CheckConstraint(
            "(role_type = 'regisseur') = (professional_sub IS NOT NULL)", name="professional"
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="period"),
        # At most one active regisseur per household, and one active assignment per
        # care-provider organization: partial unique indexes, valid on both engines.
        Index(
            "uq_role_assignments_active_regisseur",
            "household_id",
            unique=True,
            sqlite_where=text(ACTIVE_REGISSEUR),
            postgresql_where=text(ACTIVE_REGISSEUR),
        ),
        Index(
            "uq_role_assignments_active_care_provider",
            "household_id",
            "organization_id",
            unique=True,
            sqlite_where=text(ACTIVE_CARE_PROVIDER),
            postgresql_where=text(ACTIVE_CARE_PROVIDER),
        ),
        # A professional's caseload, and the access check "is this actor the regisseur".
        Index(
            "ix_role_assignments_caseload",
            "professional_sub",
            "organization_id",
            "household_id",
            sqlite_where=text(ACTIVE_REGISSEUR),
            postgresql_where=text(ACTIVE_REGISSEUR),
        ),
        # The team worklist: an organization's active regisseur assignments.
        Index(
            "ix_role_assignments_team",
            "organization_id",
            "household_id",
            sqlite_where=text(ACTIVE_REGISSEUR),
            postgresql_where=text(ACTIVE_REGISSEUR),
        ),
        # A household's regisseur at a moment, ended assignments included: the team a
        # steering figure counts an episode for, looked up once per episode (0025).
        Index(
            "ix_role_assignments_regisseur_history",
            "household_id",
            "started_at",
            sqlite_where=text(REGISSEUR),
            postgresql_where=text(REGISSEUR),
        ),
        Index(None, "household_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="households.id", ondelete="CASCADE")
    role_type: str = Field(max_length=20)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id")
    professional_sub: str | None = Field(default=None, max_length=200)
    professional_name: str | None = Field(default=None, max_length=200)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    start_reason: str | None = Field(default=None, max_length=1000)
    end_reason: str | None = Field(default=None, max_length=1000)
    started_by: str = Field(max_length=200)
    ended_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.ended_at is None
