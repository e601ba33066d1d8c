"""Response bodies of the worklists."""

import uuid
from datetime import date, datetime

from pydantic import Field

from gezinsplan.codelists.fields import PlanStatusRead, WorklistSignalRead
from gezinsplan.kit.schemas import ApiModel


class Signal(ApiModel):
    """Something on a household that asks for the regisseur's attention."""

    type: WorklistSignalRead = Field(examples=["goal_overdue"])
    count: int = Field(
        description=(
            "How many causes: overdue goals, expiring consents, ending indications, progress "
            "updates since the last evaluation; 1 for `plan_not_approved` and `evaluation_due`."
        ),
        examples=[2],
    )
    since: date | None = Field(
        description=(
            "The date the oldest cause dates from: the day the unapproved plan version was "
            "made (`plan_not_approved`), the earliest target date passed (`goal_overdue`), the "
            "last evaluation or, without one, the opening of the episode (`evaluation_due`), "
            "the earliest progress report since the last evaluation "
            "(`progress_since_evaluation`); null for the other types."
        )
    )
    until: date | None = Field(
        description=(
            "The first end date ahead: of a consent (`consent_expiring`) or an indication "
            "(`indication_ending`); null for the other types."
        )
    )


class WorklistItem(ApiModel):
    id: uuid.UUID
    name: str = Field(examples=["Gezin Jansen"])
    municipality_code: str = Field(examples=["0193"])
    episode_opened_at: datetime = Field(description="When the current episode opened.")
    days_in_episode: int = Field(
        description="Days since the current episode opened, counted in Dutch calendar days."
    )
    plan_status: PlanStatusRead | None
    plan_version: int | None
    plan_approved: bool = Field(description="Whether the family approved the current version.")
    signals: list[Signal]


class Worklist(ApiModel):
    items: list[WorklistItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class WaitingHousehold(ApiModel):
    id: uuid.UUID
    name: str = Field(examples=["Gezin Jansen"])
    municipality_code: str = Field(examples=["0193"])
    episode_opened_at: datetime = Field(description="When the current episode opened.")
    days_waiting: int = Field(
        description="Dutch calendar days since the current episode opened without a regisseur."
    )


class SignalCount(ApiModel):
    type: WorklistSignalRead = Field(examples=["evaluation_due"])
    households: int = Field(description="Households in the regisseur's caseload with it.")


class RegisseurLoad(ApiModel):
    professional_sub: str
    professional_name: str | None
    open_households: int = Field(description="Open households they are the regisseur of.")
    households_with_signals: int
    signals: list[SignalCount] = Field(description="Per signal type; types with none left out.")


class TeamWorklist(ApiModel):
    items: list[WaitingHousehold] = Field(
        description="Open households without a regisseur, longest waiting first."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page of `items`; null on the last page."
    )
    regisseurs: list[RegisseurLoad] = Field(
        description=(
            "The regisseurs of the caller's organization, on the households the caller may "
            "see, by `professionalSub`; the same on every page."
        )
    )
