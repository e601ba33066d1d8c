"""Request and response bodies for household members."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, model_validator
from stdnum.nl import bsn as stdnum_bsn

from gezinsplan.codelists.fields import RelationType, RelationTypeRead
from gezinsplan.kit import clock
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, IsoDate, Name, RequestModel

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _valid_bsn(value: str) -> str:
    if not (len(value) == 9 and value.isdigit() and stdnum_bsn.is_valid(value)):
        raise ValueError("not a valid BSN (9 digits passing the 11-test)")
    return value


def _plausible_birth_date(value: date) -> date:
    if not EARLIEST_BIRTH_DATE <= value <= clock.today():
        raise ValueError("birth date must lie between 1900-01-01 and today")
    return value


Bsn = Annotated[
    str,
    Field(pattern=r"^[0-9]{9}$", description="Burgerservicenummer; checked with the 11-test."),
    AfterValidator(_valid_bsn),
]
BirthDate = Annotated[IsoDate, AfterValidator(_plausible_birth_date)]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=TEXT_PATTERN),
]


class MemberCreate(RequestModel):
    given_name: Name = Field(examples=["Sanne"])
    family_name: Name = Field(examples=["Jansen"])
    birth_date: BirthDate = Field(examples=["1986-04-12"])
    bsn: Bsn | None = Field(None, examples=["999990020"])
    relation: RelationType = Field(examples=["parent"])
    is_guardian: StrictBool = Field(False, description="Holds parental authority or guardianship.")


class MemberUpdate(RequestModel):
    """Only the fields sent are changed; send ``bsn: null`` to remove a BSN.

    Every changed field keeps its old value in the member's history (``.../corrections``).
    With a ``reason`` the change is a correction (AVG art. 16): the event is
    ``member.corrected`` instead of ``member.updated``.
    """

    given_name: Name | None = Field(None, examples=["Sanne"])
    family_name: Name | None = Field(None, examples=["Jansen-de Vries"])
    birth_date: BirthDate | None = Field(None, examples=["1986-04-12"])
    bsn: Bsn | None = Field(None, examples=["999990020"])
    relation: RelationType | None = Field(None, examples=["parent"])
    is_guardian: StrictBool | None = Field(None, examples=[True])
    reason: Reason | None = Field(
        None,
        description="Why the facts are corrected; makes the change a correction, kept with "
        "the old values in the member's history.",
        examples=["Geboortedatum verkeerd overgenomen; gecorrigeerd op verzoek van het gezin."],
    )
    rights_request_id: uuid.UUID | None = Field(
        None,
        description="The family's rectification request this correction answers; needs reason.",
    )

    @model_validator(mode="after")
    def _request_needs_reason(self) -> "MemberUpdate":
        if self.rights_request_id is not None and self.reason is None:
            raise ValueError("a correction on a rights request needs its reason")
        return self


# The fields of a member update that are about the member; the rest say why.
FACTS = frozenset(MemberCreate.model_fields)


class MemberRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: date
    bsn: str | None
    relation: RelationTypeRead
    is_guardian: bool
    version: int
    created_at: datetime
    updated_at: datetime
