"""HTTP endpoints for the members of a household."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from gezinsplan.access.dependencies import EditableHousehold, HouseholdReader, VisibleHousehold
from gezinsplan.audit.trail import note
from gezinsplan.db import DbSession
from gezinsplan.errors import NotFound
from gezinsplan.kit.etags import IfMatchOptional, IfMatchRequired, set_etag
from gezinsplan.kit.pagination import Page, PageRequest, next_cursor, page_request
from gezinsplan.kit.responses import ETAG_HEADER, LOCATION_HEADER, WRITE, problems
from gezinsplan.members import repository, service
from gezinsplan.members.models import Member
from gezinsplan.members.schemas import MemberCreate, MemberRead, MemberUpdate

router = APIRouter(prefix="/households/{household_id}/members", tags=["members"])

MemberId = Annotated[uuid.UUID, Path(description="The member's id.")]


def _editable_member(
    household: EditableHousehold, member_id: MemberId, actor: HouseholdReader, session: DbSession
) -> Member:
    member = repository.get_editable(session, actor, household.id, member_id)
    if member is None:
        raise NotFound("Member not found.")
    return member


EditableMember = Annotated[Member, Depends(_editable_member)]


def _visible_member(
    household: VisibleHousehold, member_id: MemberId, actor: HouseholdReader, session: DbSession
) -> Member:
    member = repository.get_visible(session, actor, household.id, member_id)
    if member is None:
        raise NotFound("Member not found.")
    return member


VisibleMember = Annotated[Member, Depends(_visible_member)]


def _single(response: Response, member: Member) -> MemberRead:
    read = MemberRead.model_validate(member)
    set_etag(response, read.version)
    return read


@router.get("", summary="List members", responses=problems(401, 404))
def list_members(
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Page[MemberRead]:
    rows = repository.list_visible(session, actor, household.id, page)
    shown = rows[: page.limit]
    note(session, members=[row.id for row in shown])
    return Page[MemberRead](
        items=[MemberRead.model_validate(row) for row in shown],
        next_cursor=next_cursor(rows, page),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a member",
    responses={201: {"headers": ETAG_HEADER | LOCATION_HEADER}, **problems(*WRITE, 404, 409)},
)
def add_member(
    data: MemberCreate,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
) -> MemberRead:
    """Add a person; a BSN may be in only one open household at a time (409 otherwise)."""
    member = service.add_member(session, actor, household, data)
    response.headers["Location"] = f"/api/v1/households/{household.id}/members/{member.id}"
    return _single(response, member)


@router.get(
    "/{member_id}",
    summary="Read a member",
    responses={200: {"headers": ETAG_HEADER}, **problems(401, 404)},
)
def read_member(member: VisibleMember, response: Response) -> MemberRead:
    return _single(response, member)


@router.patch(
    "/{member_id}",
    summary="Change a member",
    responses={200: {"headers": ETAG_HEADER}, **problems(*WRITE, 404, 409, 412, 428)},
)
def update_member(
    data: MemberUpdate,
    member: EditableMember,
    household: EditableHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    if_match: IfMatchRequired,
) -> MemberRead:
    expected = if_match.version()
    updated = service.update_member(session, actor, household, member, data, expected)
    return _single(response, updated)


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
    responses=problems(*WRITE, 404, 412),
)
def remove_member(
    member: EditableMember,
    actor: HouseholdReader,
    session: DbSession,
    if_match: IfMatchOptional,
) -> None:
    """Remove a person from the household; If-Match is honoured when sent."""
    service.remove_member(session, actor, member, if_match.version())
