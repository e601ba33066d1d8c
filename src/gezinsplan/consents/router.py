"""HTTP endpoints for the family's consent to share data with an organization."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from gezinsplan.access.dependencies import HouseholdReader, readable, writable
from gezinsplan.access.scopes import Scope
from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note
from gezinsplan.consents import repository, service
from gezinsplan.consents.schemas import ConsentCreate, ConsentRead, ConsentWithdraw
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import LOCATION_HEADER, WRITE, problems

router = APIRouter(prefix="/households/{household_id}/consents", tags=["consents"])

VisibleHousehold = Annotated[Household, readable(Scope.CONSENTS)]
EditableHousehold = Annotated[Household, writable(Scope.CONSENTS)]

ConsentId = Annotated[uuid.UUID, Path(description="The consent's id.")]


@router.get("", summary="List consents", responses=problems(401, 404))
def list_consents(
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[ConsentRead]:
    """Every consent of the household, withdrawn and expired ones included, oldest first."""
    rows = repository.list_visible(session, actor, household.id, page)
    return Page[ConsentRead](
        items=service.reads(session, actor, rows[: page.limit]),
        next_cursor=next_cursor(rows, page),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consent",
    responses={201: {"headers": LOCATION_HEADER}, **problems(*WRITE, 404)},
)
def give_consent(
    data: ConsentCreate,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> ConsentRead:
    """Record the consent an adult member or a guardian gave an organization."""
    consent = service.give_consent(session, actor, household, data)
    response.headers["Location"] = f"/api/v1/households/{household.id}/consents/{consent.id}"
    return service.reads(session, actor, [consent])[0]


@router.get("/{consent_id}", summary="Read a consent", responses=problems(401, 404))
def read_consent(
    household: VisibleHousehold, consent_id: ConsentId, actor: HouseholdReader, session: DbSession
) -> ConsentRead:
    consent = repository.get(session, actor, household.id, consent_id, editable=False)
    if consent is None:
        raise NotFound("Consent not found.")
    return service.reads(session, actor, [consent])[0]


@router.post(
    "/{consent_id}/withdraw",
    summary="Withdraw a consent",
    responses=problems(*WRITE, 404, 409),
)
def withdraw_consent(
    household: EditableHousehold,
    consent_id: ConsentId,
    actor: HouseholdReader,
    session: DbSession,
    data: ConsentWithdraw | None = None,
) -> ConsentRead:
    """Withdraw it as of now; it takes effect on the very next request and stays as history."""
    note(session, action=AuditAction.UPDATE)
    consent = repository.get(session, actor, household.id, consent_id, editable=True)
    if consent is None:
        raise NotFound("Consent not found.")
    service.withdraw_consent(session, actor, consent, data or ConsentWithdraw())
    return service.reads(session, actor, [consent])[0]
