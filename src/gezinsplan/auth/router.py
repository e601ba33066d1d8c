"""``GET /me``: what the service makes of the caller's token."""

import uuid

from fastapi import APIRouter
from pydantic import Field

from gezinsplan.access.dependencies import AnyActor
from gezinsplan.codelists.fields import ActorRoleRead
from gezinsplan.db import DbSession
from gezinsplan.households import repository as households
from gezinsplan.kit.responses import problems
from gezinsplan.kit.schemas import ApiModel

router = APIRouter(tags=["me"])


class MeRead(ApiModel):
    sub: str
    name: str
    org: uuid.UUID | None
    roles: list[ActorRoleRead]
    municipalities: list[str] = Field(examples=[["0193", "0148"]])
    member: uuid.UUID | None
    household_id: uuid.UUID | None = Field(
        description="A resident's own household, found through their member id; else null."
    )


@router.get("/me", summary="Who am I", responses=problems(401))
def read_me(actor: AnyActor, session: DbSession) -> MeRead:
    return MeRead(
        sub=actor.sub,
        name=actor.name,
        org=actor.org,
        roles=sorted(actor.roles),
        municipalities=sorted(actor.municipalities),
        member=actor.member,
        household_id=households.own_household_id(session, actor),
    )
