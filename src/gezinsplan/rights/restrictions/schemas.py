"""Request and response bodies of restrictions of processing."""

import uuid
from datetime import date, datetime

from pydantic import Field

from gezinsplan.kit.schemas import ApiModel, RequestModel
from gezinsplan.rights.requests.schemas import Reason


class RestrictionCreate(RequestModel):
    member_id: uuid.UUID | None = Field(
        None, description="The member whose data is restricted; the whole household when left out."
    )
    reason: Reason = Field(examples=["De juistheid van de gegevens wordt betwist (AVG art. 18)."])
    rights_request_id: uuid.UUID | None = Field(
        None, description="The family's restriction request of this household it answers."
    )


class RestrictionLift(RequestModel):
    reason: Reason = Field(examples=["De gegevens zijn gecorrigeerd."])
    family_informed_on: date = Field(
        description="The day the family was told the restriction would be lifted (AVG art. "
        "18(3)): not after today."
    )


class RestrictionRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    member_id: uuid.UUID | None = Field(description="Null: the whole household is restricted.")
    reason: str
    rights_request_id: uuid.UUID | None
    active: bool = Field(description="It holds: care providers and systems reach none of it.")
    placed_at: datetime
    placed_by: str = Field(description="`sub` of the privacy officer who placed it.")
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    family_informed_on: date | None = Field(
        description="When lifted: the day the family was told beforehand (AVG art. 18(3))."
    )


class RestrictionList(ApiModel):
    items: list[RestrictionRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
