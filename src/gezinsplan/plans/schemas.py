"""Request and response bodies for the plan, its goals, actions, evaluations, versions and
approvals."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, model_validator

from gezinsplan.access.visibility import Visibility
from gezinsplan.codelists.fields import (
    ActionPerformer,
    ActionPerformerRead,
    ApprovalMethodCode,
    ApprovalMethodRead,
    EvaluationOutcome,
    EvaluationOutcomeRead,
    GoalStatusCode,
    GoalStatusRead,
    LifeDomain,
    LifeDomainRead,
    PlanStatusCode,
    PlanStatusRead,
    ZrmScore,
    ZrmScoreRead,
)
from gezinsplan.kit import clock
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, IsoDate, Name, RequestModel, Text
from gezinsplan.plans.models import Performer
from gezinsplan.rectification.schemas import StatementRead

Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def _plausible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError("date must lie between 2000-01-01 and 2100-12-31")
    return value


def _not_in_future(value: date) -> date:
    if value > clock.today():
        raise ValueError("date must not lie in the future")
    return value


PlanDate = Annotated[IsoDate, AfterValidator(_plausible_date)]
PastDate = Annotated[PlanDate, AfterValidator(_not_in_future)]


class PlanUpdate(RequestModel):
    """Only the fields sent are changed."""

    status: PlanStatusCode | None = Field(None, examples=["active"])
    family_wishes: Text | None = Field(
        None,
        description="What the family wants, in their own words.",
        examples=["Wij willen rust in huis en geen schulden meer."],
    )


class GoalCreate(RequestModel):
    life_domain: LifeDomain = Field(examples=["finances"])
    description: Description = Field(examples=["Schulden zijn in beeld en er is een betaalplan."])
    zrm_start: ZrmScore = Field(description="ZRM score at the start (1-5).", examples=[2])
    zrm_target: ZrmScore = Field(description="The score the goal aims for (1-5).", examples=[4])
    target_date: PlanDate | None = Field(None, examples=["2027-06-30"])
    organization_id: uuid.UUID | None = Field(None, description="The organization responsible.")
    status: GoalStatusCode = Field("open", examples=["open"])


class GoalUpdate(RequestModel):
    """Only the fields sent are changed; send null to clear a target date or organization."""

    life_domain: LifeDomain | None = Field(None, examples=["finances"])
    description: Description | None = None
    zrm_start: ZrmScore | None = Field(None, examples=[2])
    zrm_target: ZrmScore | None = Field(None, examples=[4])
    target_date: PlanDate | None = Field(None, examples=["2027-06-30"])
    organization_id: uuid.UUID | None = None
    status: GoalStatusCode | None = Field(None, examples=["achieved"])


class ActionCreate(RequestModel):
    description: Description = Field(examples=["Aanmelden bij de schuldhulpverlening."])
    performer: ActionPerformer = Field(examples=["member"])
    performer_member_id: uuid.UUID | None = Field(
        None, description="The member who does it; required when performer is `member`."
    )
    performer_organization_id: uuid.UUID | None = Field(
        None, description="The organization; required when performer is `organization`."
    )
    performer_name: Name | None = Field(
        None, description="Who, for the own network or a professional.", examples=["Oma Jansen"]
    )
    due_date: PlanDate | None = Field(None, examples=["2027-01-31"])
    done: StrictBool = False

    @model_validator(mode="after")
    def _performer_named(self) -> "ActionCreate":
        if (self.performer == Performer.MEMBER) != (self.performer_member_id is not None):
            raise ValueError("performerMemberId is required for, and only for, a member")
        if (self.performer == Performer.ORGANIZATION) != (
            self.performer_organization_id is not None
        ):
            raise ValueError(
                "performerOrganizationId is required for, and only for, an organization"
            )
        return self


class ActionUpdate(RequestModel):
    """Only the fields sent are changed; the performer fields must fit together afterwards."""

    description: Description | None = None
    performer: ActionPerformer | None = Field(None, examples=["own_network"])
    performer_member_id: uuid.UUID | None = None
    performer_organization_id: uuid.UUID | None = None
    performer_name: Name | None = Field(None, examples=["Buurman Piet"])
    due_date: PlanDate | None = Field(None, examples=["2027-01-31"])
    done: StrictBool | None = Field(None, examples=[True])


class ActionRead(ApiModel):
    id: uuid.UUID
    goal_id: uuid.UUID
    description: str
    performer: ActionPerformerRead
    performer_member_id: uuid.UUID | None
    performer_organization_id: uuid.UUID | None
    performer_name: str | None
    due_date: date | None
    done: bool
    done_at: datetime | None
    created_at: datetime
    updated_at: datetime


class GoalRead(ApiModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    life_domain: LifeDomainRead
    description: str
    zrm_start: ZrmScoreRead
    zrm_target: ZrmScoreRead
    target_date: date | None
    organization_id: uuid.UUID | None
    status: GoalStatusRead
    actions: list[ActionRead]
    created_at: datetime
    updated_at: datetime


class GoalView(GoalRead):
    """A goal as read now: with the family's statements on it, which are not part of the
    plan's versions (the professionals' assessment is; the family's view is attached)."""

    family_statements: list[StatementRead] = Field(
        description="The family's own statements on this goal, oldest first."
    )


class PlanContent(ApiModel):
    """The plan's own fields, as read today and as kept per version."""

    id: uuid.UUID
    household_id: uuid.UUID
    status: PlanStatusRead
    family_wishes: str | None
    version: int = Field(description="Rises with every change to the plan; the ETag carries it.")
    visibility: Visibility
    created_at: datetime
    updated_at: datetime


class ApprovalState(ApiModel):
    """The family's latest approval, and whether the plan is still the version approved."""

    plan_version: int = Field(description="The version the family approved.")
    approved_on: date
    method: ApprovalMethodRead
    current: bool = Field(description="False once the plan has changed since that version.")


class PlanRead(PlanContent):
    goals: list[GoalView] = Field(description="The goals the caller may see; see visibility.")
    approval: ApprovalState | None = Field(
        description="The family's latest approval; null when the plan was never approved."
    )


class OutcomeCreate(RequestModel):
    goal_id: uuid.UUID
    outcome: EvaluationOutcome = Field(examples=["partly_achieved"])
    note: Text | None = None


class ScoreCreate(RequestModel):
    life_domain: LifeDomain = Field(examples=["finances"])
    score: ZrmScore = Field(examples=[3])


class EvaluationCreate(RequestModel):
    evaluated_on: PastDate = Field(examples=["2026-11-20"])
    summary: Text | None = Field(None, examples=["Betaalplan loopt; rust in huis is beter."])
    outcomes: list[OutcomeCreate] = Field(default_factory=list, max_length=100)
    scores: list[ScoreCreate] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _each_once(self) -> "EvaluationCreate":
        goals = [outcome.goal_id for outcome in self.outcomes]
        if len(goals) != len(set(goals)):
            raise ValueError("each goal has at most one outcome")
        domains = [score.life_domain for score in self.scores]
        if len(domains) != len(set(domains)):
            raise ValueError("each life domain has at most one score")
        return self


class OutcomeRead(ApiModel):
    goal_id: uuid.UUID
    outcome: EvaluationOutcomeRead
    note: str | None


class ScoreRead(ApiModel):
    life_domain: LifeDomainRead
    score: ZrmScoreRead


class EvaluationState(ApiModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    evaluated_on: date
    summary: str | None
    outcomes: list[OutcomeRead] = Field(description="Outcomes of the goals the caller may see.")
    scores: list[ScoreRead] = Field(description="Scores in the life domains the caller may see.")
    created_at: datetime


class EvaluationRead(EvaluationState):
    visibility: Visibility


class EvaluationView(EvaluationRead):
    """An evaluation as read now, with the family's statements on it."""

    family_statements: list[StatementRead] = Field(
        description="The family's own statements on this evaluation, oldest first."
    )


# --- versions ---------------------------------------------------------------------------------


class PlanSnapshot(ApiModel):
    """The whole plan after one change, unfiltered: what ``plan_versions`` stores."""

    id: uuid.UUID
    household_id: uuid.UUID
    status: str
    family_wishes: str | None
    version: int
    goals: list[GoalRead]
    evaluations: list[EvaluationState]
    created_at: datetime
    updated_at: datetime


class Author(ApiModel):
    """Who made a change or recorded an approval: a professional's name and organization."""

    name: str | None = Field(description="Null when not known or when it is the family's own.")
    organization_id: uuid.UUID | None


class PlanVersionRead(PlanContent):
    """The plan as it was at one version, cut to what the caller may see today."""

    goals: list[GoalRead] = Field(description="The goals the caller may see; see visibility.")
    evaluations: list[EvaluationRead] = Field(
        description="The evaluations then, with the outcomes and scores the caller may see."
    )
    changed_at: datetime
    changed_by: Author


class PlanChange(ApiModel):
    resource_type: str = Field(
        description="`plan`, `goal`, `action` or `evaluation`.", examples=["goal"]
    )
    id: uuid.UUID
    change: str = Field(description="`added`, `changed` or `removed`.", examples=["added"])


class PlanVersionEntry(ApiModel):
    version: int
    changed_at: datetime
    changed_by: Author
    changes: list[PlanChange] | None = Field(
        description=(
            "What this version changed of what the caller may see; null when the version "
            "before it was not kept (plans older than version history)."
        )
    )


class FieldChange(ApiModel):
    field: str = Field(description="The field, as the API names it.", examples=["status"])
    from_: Any = Field(alias="from", description="The value in the older version.")
    to: Any = Field(description="The value in the newer version.")


class ItemChange(ApiModel):
    id: uuid.UUID
    fields: list[FieldChange]


T = TypeVar("T")


class PartDiff(ApiModel, Generic[T]):
    """Items by id: added in, removed from or changed between the two versions."""

    added: list[T]
    removed: list[T]
    changed: list[ItemChange]


class PlanDiff(ApiModel):
    """What changed from version ``against`` to ``version``, of what the caller may see.

    Items are in the plan's order; an action is compared on its own, so the actions of an
    added or removed goal are listed among the actions too.
    """

    version: int
    against: int
    plan: list[FieldChange] = Field(description="The plan's own fields that changed.")
    goals: PartDiff[GoalRead]
    actions: PartDiff[ActionRead]
    evaluations: PartDiff[EvaluationState]
    visibility: Visibility


# --- approvals --------------------------------------------------------------------------------


class ApprovalCreate(RequestModel):
    plan_version: int = Field(
        ge=1,
        le=2**31 - 1,
        description="The version the family approves; it must be the plan's current one.",
        examples=[4],
    )
    method: ApprovalMethodCode = Field(examples=["paper"])
    member_id: uuid.UUID | None = Field(
        None,
        description=(
            "The member who approves. A resident approves as themselves (omit it or name "
            "yourself); a professional names the member they record it for."
        ),
    )
    approved_on: PastDate | None = Field(
        None, description="When the family approved; today when omitted.", examples=["2026-11-24"]
    )


class ApprovalRead(ApiModel):
    id: uuid.UUID
    plan_version: int
    member_id: uuid.UUID | None = Field(description="Null when the member has since been removed.")
    method: ApprovalMethodRead
    approved_on: date
    current: bool = Field(description="False once the plan has changed since that version.")
    recorded_by: Author
    created_at: datetime
