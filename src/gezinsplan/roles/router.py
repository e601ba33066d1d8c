"""HTTP endpoints for who works on a household: the regisseur and care providers."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from gezinsplan.access.dependencies import HouseholdReader, readable, writable
from gezinsplan.access.scopes import Scope
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import LOCATION_HEADER, WRITE, problems
from gezinsplan.roles import repository, service
from gezinsplan.roles.models import RoleAssignment
from gezinsplan.roles.schemas import CareProviderAdd, RegisseurAssign, RoleAssignmentRead

router = APIRouter(prefix="/households/{household_id}", tags=["roles"])

VisibleHousehold = Annotated[Household, readable(Scope.ROLES)]
EditableHousehold = Annotated[Household, writable(Scope.ROLES)]

RoleId = Annotated[uuid.UUID, Path(description="The role assignment's id.")]
ROLE_NOT_FOUND = "Role assignment not found."


def _location(role: RoleAssignment) -> str:
    return f"/api/v1/households/{role.household_id}/roles/{role.id}"


@router.get("/roles", summary="List role assignments", responses=problems(401, 404))
def list_roles(
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    active: Annotated[
        bool | None, Query(description="Only current (true) or only ended (false) ones.")
    ] = None,
) -> Page[RoleAssignmentRead]:
    """Who works and worked on the household, oldest first: the history is never deleted."""
    rows = repository.list_visible(session, actor, household.id, page, active=active)
    return Page[RoleAssignmentRead](
        items=[RoleAssignmentRead.model_validate(row) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page),
    )


@router.get("/roles/{role_id}", summary="Read a role assignment", responses=problems(401, 404))
def read_role(
    household: VisibleHousehold, role_id: RoleId, actor: HouseholdReader, session: DbSession
) -> RoleAssignmentRead:
    role = repository.get_visible(session, actor, household.id, role_id)
    if role is None:
        raise NotFound(ROLE_NOT_FOUND)
    return RoleAssignmentRead.model_validate(role)


@router.put(
    "/regisseur",
    summary="Assign or hand over the regisseur",
    responses={200: {"headers": LOCATION_HEADER}, **problems(*WRITE, 404, 409)},
)
def assign_regisseur(
    data: RegisseurAssign,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> RoleAssignmentRead:
    """End the current regisseur's assignment and start the new one, in one transaction.

    `replaces` names the assignment the caller saw as current; of concurrent handovers
    exactly one succeeds and the others get a 409 that says the regisseur changed.
    """
    role = service.assign_regisseur(session, actor, household, data)
    response.headers["Location"] = _location(role)
    return RoleAssignmentRead.model_validate(role)


@router.post(
    "/roles",
    status_code=status.HTTP_201_CREATED,
    summary="Add a care provider",
    responses={201: {"headers": LOCATION_HEADER}, **problems(*WRITE, 404, 409)},
)
def add_care_provider(
    data: CareProviderAdd,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> RoleAssignmentRead:
    role = service.add_care_provider(session, actor, household, data)
    response.headers["Location"] = _location(role)
    return RoleAssignmentRead.model_validate(role)


@router.delete(
    "/roles/{role_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End a care provider's assignment",
    responses=problems(*WRITE, 404, 409),
)
def end_role(
    household: EditableHousehold, role_id: RoleId, actor: HouseholdReader, session: DbSession
) -> None:
    """End it; the assignment stays in the history. The regisseur is handed over instead."""
    role = repository.get_editable(session, actor, household.id, role_id)
    if role is None:
        raise NotFound(ROLE_NOT_FOUND)
    service.end_role(session, actor, role)
