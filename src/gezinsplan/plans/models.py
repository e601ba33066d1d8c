"""The household's one plan: goals per life domain, actions towards them, evaluations.

The plan's ``version`` is the lock for all of it: every change to the plan, a goal, an action
or an evaluation raises it, so two professionals cannot overwrite each other's work. Each
version is kept as a snapshot, and the family approves one of them.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel

from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.types import UTCDateTime


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EVALUATING = "evaluating"
    CLOSED = "closed"


class GoalStatus(StrEnum):
    OPEN = "open"


class ApprovalMethod(StrEnum):
    DIGITAL = "digital"
    PAPER = "paper"
    VERBAL = "verbal"


class Performer(StrEnum):
    MEMBER = "member"
    OWN_NETWORK = "own_network"
    PROFESSIONAL = "professional"
    ORGANIZATION = "organization"


ZRM_RANGE = "BETWEEN 1 AND 5"


class Plan(SQLModel, table=True):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'evaluating', 'closed')", name="status"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    household_id: uuid.UUID = Field(
        foreign_key="households.id", ondelete="CASCADE", unique=True, index=False
    )
    status: str = Field(default=PlanStatus.DRAFT, max_length=20)
    family_wishes: str | None = Field(default=None, max_length=4000)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Goal(SQLModel, table=True):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint(f"zrm_start {ZRM_RANGE}", name="zrm_start"),
        CheckConstraint(f"zrm_target {ZRM_RANGE}", name="zrm_target"),
        Index(None, "plan_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id", ondelete="CASCADE")
    life_domain: str = Field(max_length=40)
    description: str = Field(max_length=4000)
    zrm_start: int
    zrm_target: int
    target_date: date | None = None
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organizations.id")
    status: str = Field(default=GoalStatus.OPEN, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Action(SQLModel, table=True):
    """A step towards a goal, and who takes it: a member, the own network, a professional
    or an organization. A removed member leaves the action without a name, not a dangling id."""

    __tablename__ = "actions"
    __table_args__ = (Index(None, "goal_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    goal_id: uuid.UUID = Field(foreign_key="goals.id", ondelete="CASCADE")
    description: str = Field(max_length=4000)
    performer: str = Field(max_length=40)
    performer_member_id: uuid.UUID | None = Field(
        default=None, foreign_key="members.id", ondelete="SET NULL"
    )
    performer_organization_id: uuid.UUID | None = Field(
        default=None, foreign_key="organizations.id"
    )
    performer_name: str | None = Field(default=None, max_length=200)
    due_date: date | None = None
    done: bool = False
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Evaluation(SQLModel, table=True):
    """A dated review of the plan: an outcome per goal and ZRM scores per life domain."""

    __tablename__ = "evaluations"
    __table_args__ = (Index(None, "plan_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id", ondelete="CASCADE")
    evaluated_on: date
    summary: str | None = Field(default=None, max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EvaluationOutcome(SQLModel, table=True):
    """A goal's outcome in one evaluation; an evaluated goal cannot be deleted (RESTRICT)."""

    __tablename__ = "evaluation_outcomes"

    evaluation_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("evaluations.id", ondelete="CASCADE")], primary_key=True
    )
    goal_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("goals.id", ondelete="RESTRICT")], primary_key=True, index=True
    )
    outcome: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=4000)


class EvaluationScore(SQLModel, table=True):
    __tablename__ = "evaluation_scores"
    __table_args__ = (CheckConstraint(f"score {ZRM_RANGE}", name="score"),)

    evaluation_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("evaluations.id", ondelete="CASCADE")], primary_key=True
    )
    life_domain: str = Field(max_length=40, primary_key=True)
    score: int


class PlanVersion(SQLModel, table=True):
    """The whole plan as it was right after one change, unfiltered, and who made the change.

    Written in the change's own transaction; a care provider's view is cut from it on read.
    """

    __tablename__ = "plan_versions"

    plan_id: uuid.UUID = Field(
        sa_column_args=[ForeignKey("plans.id", ondelete="CASCADE")], primary_key=True
    )
    version: int = Field(primary_key=True)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changed_at: datetime = Field(sa_type=UTCDateTime)
    # Who made the change: a professional, whose name is no family data. Unknown (null) for
    # the snapshot the migration took of plans that existed before versions were kept.
    changed_by_sub: str | None = Field(default=None, max_length=200)
    changed_by_name: str | None = Field(default=None, max_length=200)
    changed_by_organization_id: uuid.UUID | None = None


class PlanApproval(SQLModel, table=True):
    """The family's approval of one plan version; a later change leaves it on that version.

    The composite foreign key makes it bind to a version that was kept.
    """

    __tablename__ = "plan_approvals"
    __table_args__ = (
        CheckConstraint("method IN ('digital', 'paper', 'verbal')", name="method"),
        ForeignKeyConstraint(
            ["plan_id", "plan_version"],
            ["plan_versions.plan_id", "plan_versions.version"],
            ondelete="CASCADE",
        ),
        Index(None, "plan_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID
    plan_version: int
    member_id: uuid.UUID | None = Field(default=None, foreign_key="members.id", ondelete="SET NULL")
    method: str = Field(max_length=20)
    approved_on: date
    recorded_by_sub: str = Field(max_length=200)
    recorded_by_name: str | None = Field(default=None, max_length=200)
    recorded_by_organization_id: uuid.UUID | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
