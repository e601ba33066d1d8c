"""Request and response bodies of rectification: a member's fact history and the family's
statements on assessments."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from gezinsplan.codelists.fields import FactFieldRead, StatementSubject, StatementSubjectRead
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, RequestModel

StatementText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]


class CorrectionRead(ApiModel):
    """One fact of a member changed: from what, to what, by whom, when and why."""

    id: uuid.UUID
    member_id: uuid.UUID
    field: FactFieldRead
    old_value: str | None = Field(
        description="The value before the change, for the family and the privacy officer; "
        "always null for the professionals who work on the file."
    )
    new_value: str | None = Field(description="The value after the change; null: removed.")
    reason: str | None = Field(description="Why; null for a change that was no correction.")
    corrected_by: str = Field(description="The token subject of the professional who changed it.")
    corrected_at: datetime
    rights_request_id: uuid.UUID | None = Field(
        description="The family's rectification request the change answers, when one was named."
    )


class CorrectionPage(ApiModel):
    items: list[CorrectionRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    old_values_shown: bool = Field(
        description="Whether `oldValue` is given: to the family and the privacy officer."
    )


class StatementCreate(RequestModel):
    subject_kind: StatementSubject = Field(examples=["progress_update"])
    subject_id: uuid.UUID = Field(description="The goal, evaluation or progress update.")
    text: StatementText = Field(
        examples=[
            "Wij herkennen ons niet in dit verslag: de afspraak is door de hulpverlener "
            "afgezegd, niet door ons."
        ]
    )


class StatementRead(ApiModel):
    """The family's own statement on an assessment; it travels with every read of it."""

    id: uuid.UUID
    household_id: uuid.UUID
    subject_kind: StatementSubjectRead
    subject_id: uuid.UUID
    text: str
    made_by_member_id: uuid.UUID | None = Field(
        description="The member who made it; null once that member left the file."
    )
    made_at: datetime
