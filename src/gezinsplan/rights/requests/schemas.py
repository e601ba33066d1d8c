"""Request and response bodies of the family's rights requests."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from gezinsplan.codelists.fields import (
    RightsRequestKind,
    RightsRequestKindRead,
    RightsRequestOutcome,
    RightsRequestOutcomeRead,
    RightsRequestStatusRead,
)
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, RequestModel, Text

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]


class RightsRequestCreate(RequestModel):
    kind: RightsRequestKind = Field(description="The right invoked (AVG art. 15-18, 21).")
    explanation: Text | None = Field(None, examples=["Mijn geboortedatum klopt niet."])
    member_id: uuid.UUID | None = Field(
        None, description="The member it concerns; the resident filing it when left out."
    )


class RequestExtension(RequestModel):
    months: Literal[1, 2] = Field(description="Further months, once (AVG art. 12(3)).")
    reason: Reason = Field(examples=["Het verzoek betreft een omvangrijk dossier."])


class RequestDecision(RequestModel):
    outcome: RightsRequestOutcome
    reason: Reason = Field(examples=["De geboortedatum is gecorrigeerd."])


class RightsRequestRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    member_id: uuid.UUID
    kind: RightsRequestKindRead
    explanation: str | None
    status: RightsRequestStatusRead
    filed_by: str = Field(description="`sub` of the resident who filed it.")
    filed_on: date = Field(description="The Dutch date it was filed; the term runs from it.")
    created_at: datetime
    term_months: int = Field(
        description="1 (AVG art. 12(3)), or 3 for the erasure of a youth-care file "
        "(Jeugdwet art. 7.3.9)."
    )
    due_on: date = Field(description="The term, plus the extension if there is one.")
    overdue: bool = Field(description="Open, and due before today.")
    days_left: int | None = Field(
        description="Days from today to the due date (negative when overdue); null once decided."
    )
    extended_at: datetime | None
    extended_by: str | None
    extension_months: int | None
    extension_reason: str | None
    decided_at: datetime | None
    decided_by: str | None
    outcome: RightsRequestOutcomeRead | None
    decision_reason: str | None


class RightsRequestList(ApiModel):
    items: list[RightsRequestRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
