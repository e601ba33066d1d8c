"""Request and response bodies for role assignments."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from gezinsplan.codelists.fields import RoleTypeRead
from gezinsplan.kit.schemas import TEXT_PATTERN, ApiModel, Name, RequestModel

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=TEXT_PATTERN),
]
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=TEXT_PATTERN),
]


class RegisseurAssign(RequestModel):
    """Assign the regisseur, or hand over: the current assignment ends, the new one starts."""

    professional_sub: Subject = Field(
        description="The professional's `sub`, as their token carries it.",
        examples=["a3f7c2e1-wijkteam-zwolle-jdevries"],
    )
    professional_name: Name = Field(examples=["Jeroen de Vries"])
    organization_id: uuid.UUID = Field(description="The professional's organization.")
    reason: Reason = Field(examples=["Schuldhulp leidt nu; regie naar de schuldhulpverlener."])
    replaces: uuid.UUID | None = Field(
        None,
        description=(
            "The id of the active regisseur assignment this hands over from; required when "
            "there is one, absent when there is none. A stale value is a 409."
        ),
    )


class CareProviderAdd(RequestModel):
    organization_id: uuid.UUID = Field(description="A care-provider organization.")
    reason: Reason | None = Field(None, examples=["Schuldhulptraject gestart."])


class RoleAssignmentRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    role_type: RoleTypeRead
    organization_id: uuid.UUID
    professional_sub: str | None
    professional_name: str | None
    active: bool = Field(description="True until the assignment ends.")
    started_at: datetime
    ended_at: datetime | None
    start_reason: str | None
    end_reason: str | None
    started_by: str = Field(description="`sub` of who started it.")
    ended_by: str | None = Field(description="`sub` of who ended it.")
