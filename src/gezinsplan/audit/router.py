"""HTTP endpoints for the audit log: a household's access log, and the chain check."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gezinsplan.access.dependencies import HouseholdReader, privacy_officer, readable
from gezinsplan.access.scopes import Scope
from gezinsplan.audit import chain, repository
from gezinsplan.audit.schemas import AccessActor, AccessLogEntry, AccessLogPage, ChainCheck
from gezinsplan.auth.actor import Role
from gezinsplan.db import DbSession
from gezinsplan.households.models import Household
from gezinsplan.kit.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_number,
    encode_number,
)
from gezinsplan.kit.responses import problems
from gezinsplan.kit.schemas import IsoDateTime

router = APIRouter(tags=["audit"])

AccessLogHousehold = Annotated[Household, readable(Scope.ACCESS_LOG)]
CURSOR_TAG = "a"


@router.get(
    "/households/{household_id}/access-log",
    summary="Who accessed this household's data",
    responses=problems(401, 404),
)
def read_access_log(
    household: AccessLogHousehold,
    actor: HouseholdReader,
    session: DbSession,
    since: Annotated[
        IsoDateTime | None, Query(alias="from", description="Only records from this moment.")
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="Only records before this moment.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> AccessLogPage:
    """Every read and change of the household's data, denied attempts included, in order.

    For the resident of the household and the privacy officer; reading it is recorded too.
    """
    rows = repository.access_log(
        session,
        actor,
        household.id,
        since=since,
        until=until,
        after=decode_number(CURSOR_TAG, cursor) if cursor else None,
        limit=limit,
    )
    officer = actor.has(Role.PRIVACY_OFFICER)
    items = [
        AccessLogEntry(
            number=record.number or 0,
            started_at=record.started_at,
            ended_at=record.ended_at,
            action=record.action,
            outcome=record.outcome,
            resource=record.resource,
            resource_id=record.resource_id,
            actor=AccessActor(
                organization_id=record.actor_organization_id,
                organization_name=organization_name,
                roles=[role for role in record.actor_roles.split(",") if role],
                name=record.actor_name if officer else None,
            ),
            legal_basis=record.legal_basis,
            legal_basis_id=record.legal_basis_id,
            purpose=record.purpose,
        )
        for record, organization_name in rows[:limit]
    ]
    more = len(rows) > limit
    return AccessLogPage(
        items=items, next_cursor=encode_number(CURSOR_TAG, items[-1].number) if more else None
    )


@router.get(
    "/audit/verify",
    summary="Check the audit chain",
    responses=problems(401, 403),
    dependencies=[Depends(privacy_officer)],
)
def verify_audit_chain(session: DbSession) -> ChainCheck:
    """Walk the hash chain and name the first record that was changed, removed or moved."""
    result = chain.verify(session)
    return ChainCheck(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        first_bad_seq=result.first_bad_seq,
        first_bad_record=result.first_bad_record,
        reason=result.reason,
        unsealed=result.unsealed,
    )
