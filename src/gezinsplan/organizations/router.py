"""HTTP endpoints for the organization directory."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from gezinsplan.access.dependencies import DirectoryReader, OrganizationAdmin
from gezinsplan.codelists.fields import OrganizationKindCode
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.kit.etags import set_etag
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import ETAG_HEADER, LOCATION_HEADER, WRITE, problems
from gezinsplan.kit.schemas import SearchText
from gezinsplan.organizations import repository, service
from gezinsplan.organizations.schemas import OrganizationCreate, OrganizationRead

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.get("", summary="List organizations", responses=problems(401, 403))
def list_organizations(
    _actor: DirectoryReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
    kind: Annotated[OrganizationKindCode | None, Query(description="Only this kind.")] = None,
    q: Annotated[SearchText | None, Query(description="Part of the name.")] = None,
) -> Page[OrganizationRead]:
    rows = repository.list_page(session, page, kind=kind, search=q)
    items = rows[: page.limit]
    served = repository.served_municipalities(session, [o.id for o in items])
    return Page[OrganizationRead](
        items=[service.to_read(o, served[o.id]) for o in items],
        next_cursor=next_cursor(rows, page),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register an organization",
    responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **problems(*WRITE, 403, 409)},
)
def create_organization(
    data: OrganizationCreate, actor: OrganizationAdmin, session: DbSession, response: Response
) -> OrganizationRead:
    created = service.create_organization(session, actor, data)
    response.headers["Location"] = f"/api/v1/organizations/{created.id}"
    set_etag(response, created.version)
    return created


@router.get(
    "/{organization_id}",
    summary="Read an organization",
    responses={200: {"headers": ETAG_HEADER}, **problems(401, 403, 404)},
)
def read_organization(
    organization_id: Annotated[uuid.UUID, Path()],
    _actor: DirectoryReader,
    session: DbSession,
    response: Response,
) -> OrganizationRead:
    organization = repository.get(session, organization_id)
    if organization is None:
        raise NotFound("Organization not found.")
    set_etag(response, organization.version)
    served = repository.served_municipalities(session, [organization.id])
    return service.to_read(organization, served[organization.id])
