"""Access rules as FastAPI dependencies: every API route depends on one of these.

A household the actor may not see is loaded as "not found", with the very response a
nonexistent id gets, so ids cannot be probed.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from gezinsplan.access import policy
from gezinsplan.access.guard import access_rule
from gezinsplan.auth.actor import Actor
from gezinsplan.auth.dependencies import CurrentActor
from gezinsplan.db import DbSession
from gezinsplan.errors import Forbidden, NotFound
from gezinsplan.households import repository as households
from gezinsplan.households.models import Household

HOUSEHOLD_NOT_FOUND = "Household not found."

HouseholdId = Annotated[uuid.UUID, Path(description="The household's id.")]


@access_rule
def public() -> None:
    """For routes that hold no case data and need no caller (health checks)."""


@access_rule
def any_actor(actor: CurrentActor) -> Actor:
    """For routes about the caller itself."""
    return actor


@access_rule
def directory_reader(actor: CurrentActor) -> Actor:
    if not policy.may_read_directory(actor):
        raise Forbidden("Your token carries no role of this service.")
    return actor


@access_rule
def organization_admin(actor: CurrentActor) -> Actor:
    if not policy.may_manage_organizations(actor):
        raise Forbidden("Only an administrator manages organizations.")
    return actor


@access_rule
def household_reader(actor: CurrentActor) -> Actor:
    """For lists and creation: the repository applies the actor's predicate itself."""
    return actor


@access_rule
def visible_household(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    household = households.get_visible(session, actor, household_id)
    if household is None:
        raise NotFound(HOUSEHOLD_NOT_FOUND)
    return household


@access_rule
def editable_household(
    household_id: HouseholdId, actor: CurrentActor, session: DbSession
) -> Household:
    household = households.get_editable(session, actor, household_id)
    if household is None:
        raise NotFound(HOUSEHOLD_NOT_FOUND)
    return household


VisibleHousehold = Annotated[Household, Depends(visible_household)]
EditableHousehold = Annotated[Household, Depends(editable_household)]
HouseholdReader = Annotated[Actor, Depends(household_reader)]
DirectoryReader = Annotated[Actor, Depends(directory_reader)]
OrganizationAdmin = Annotated[Actor, Depends(organization_admin)]
AnyActor = Annotated[Actor, Depends(any_actor)]
Public = Depends(public)
