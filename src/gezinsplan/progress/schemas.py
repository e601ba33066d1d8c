"""Request and response bodies for progress updates and the partners' bulk push."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, TypeAdapter, WithJsonSchema

from gezinsplan.access.visibility import Visibility
from gezinsplan.codelists.fields import (
    ProgressOutcome,
    ProgressOutcomeRead,
    PushStatusRead,
    ZrmScore,
    ZrmScoreRead,
)
from gezinsplan.kit import clock
from gezinsplan.kit.responses import ProblemDetails
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, RequestModel, Text
from gezinsplan.plans.schemas import PlanDate
from gezinsplan.rectification.schemas import StatementRead

MAX_PUSH = 1000

ReportText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
]


def _not_in_future(value: date) -> date:
    if value > clock.today():
        raise ValueError("progress cannot be reported for a day in the future")
    return value


ReportDate = Annotated[PlanDate, AfterValidator(_not_in_future)]


class ProgressContent(RequestModel):
    """What an update says; a correction says all of it again."""

    text: ReportText = Field(examples=["Betaalplan loopt; twee schuldeisers akkoord."])
    reported_on: ReportDate = Field(
        description="The day the progress is about; not in the future.", examples=["2026-11-20"]
    )
    zrm_score: ZrmScore | None = Field(None, description="The ZRM score now (1-5).", examples=[3])
    outcome: ProgressOutcome | None = Field(
        None, description="How the goal stands.", examples=["on_track"]
    )
    outcome_note: Text | None = Field(None, description="A note on the outcome; needs outcome.")


class ProgressCreate(ProgressContent):
    corrects_id: uuid.UUID | None = Field(
        None, description="The update of the same goal this one corrects (each is corrected once)."
    )


class ProgressPushItem(ProgressContent):
    household_id: uuid.UUID
    goal_id: uuid.UUID
    external_id: ExternalId = Field(
        description="The partner system's own id for this update; a resend is recognised by it.",
        examples=["zorgdossier-2026-000123"],
    )
    corrects_external_id: ExternalId | None = Field(
        None, description="The external id of the organization's update this one corrects."
    )


PUSH_ITEM = TypeAdapter(ProgressPushItem)


# Items arrive as plain objects and are validated one by one (``PUSH_ITEM``); the document
# still describes each item's fields.
PushItemJson = Annotated[Any, WithJsonSchema(PUSH_ITEM.json_schema(by_alias=True))]


class ProgressPush(RequestModel):
    """Each item is checked on its own: an invalid one is rejected, the others are stored."""

    updates: list[PushItemJson] = Field(min_length=1, max_length=MAX_PUSH)


class ProgressRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    goal_id: uuid.UUID
    organization_id: uuid.UUID | None = Field(
        description="The care provider the goal is assigned to, when it reported."
    )
    author_name: str
    external_id: str | None
    text: str
    reported_on: date
    zrm_score: ZrmScoreRead | None
    outcome: ProgressOutcomeRead | None
    outcome_note: str | None
    corrects: uuid.UUID | None = Field(description="The update this one corrects.")
    corrected_by: uuid.UUID | None = Field(description="The update that corrects this one.")
    family_statements: list[StatementRead] = Field(
        description="The family's own statements on this update, oldest first; the report "
        "itself is never changed by them."
    )
    created_at: datetime


class ProgressPage(ApiModel):
    items: list[ProgressRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    visibility: Visibility


class PushResult(ApiModel):
    index: int = Field(description="The item's position in the request, from 0.")
    external_id: str | None
    status: PushStatusRead
    id: uuid.UUID | None = Field(None, description="The stored update: created or found.")
    problem: ProblemDetails | None = Field(None, description="Why the item was rejected.")


class PushSummary(ApiModel):
    created: int
    duplicate: int
    rejected: int


class PushResults(ApiModel):
    results: list[PushResult] = Field(description="One per item, in the order sent.")
    summary: PushSummary
