"""Rules for the family's rights requests: who they concern, when they are due, the one
extension and the decision.

No event is published for a rights request, nor for its extension or decision: that a family
invoked its rights is the family's business, not that of the organizations that follow the
feed. Each filing, read and decision is in the household's access log like every access.
"""

import base64
import binascii
import calendar
import json
import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from gezinsplan.audit.trail import note, note_change, show
from gezinsplan.auth.actor import Actor
from gezinsplan.config import Settings
from gezinsplan.errors import Conflict, Unprocessable
from gezinsplan.households.models import Household
from gezinsplan.kit import clock
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.pagination import BAD_CURSOR
from gezinsplan.rights import repository as file_repository
from gezinsplan.rights.models import RequestKind, RightsRequest
from gezinsplan.rights.requests import repository
from gezinsplan.rights.requests.schemas import (
    RequestDecision,
    RequestExtension,
    RightsRequestCreate,
    RightsRequestList,
    RightsRequestRead,
)
from gezinsplan.rights.retention import retention_of

# AVG art. 12(3): one month; Jeugdwet art. 7.3.9: a youth-care file within three months.
TERM_MONTHS = 1
YOUTH_CARE_ERASURE_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it has no such day
    (Regulation 1182/71 art. 3(2)(c), which the AVG's terms follow)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _term_months(
    session: Session, actor: Actor, household: Household, kind: str, settings: Settings
) -> int:
    if kind != RequestKind.ERASURE:
        return TERM_MONTHS
    retention = retention_of(
        file_repository.episodes(session, actor, household.id),
        file_repository.indications(session, actor, household.id),
        settings.retention_municipal_years,
    )
    youth_care = retention.retention_class == "youth_care"
    return YOUTH_CARE_ERASURE_MONTHS if youth_care else TERM_MONTHS


def file_request(
    session: Session,
    actor: Actor,
    household: Household,
    data: RightsRequestCreate,
    settings: Settings,
) -> RightsRequest:
    """A resident's request about a member of their household, due one month after today
    (three for the erasure of a file that held youth care)."""
    member_id = data.member_id or actor.member
    member = (
        None if member_id is None else repository.member_of(session, actor, household.id, member_id)
    )
    if member is None:
        raise Unprocessable.field("memberId", "not a member of this household", "No such member.")
    filed_on = clock.today()
    term = _term_months(session, actor, household, data.kind, settings)
    request = RightsRequest(
        household_id=household.id,
        member_id=member.id,
        kind=data.kind,
        explanation=data.explanation,
        filed_by=actor.sub,
        filed_on=filed_on,
        term_months=term,
        due_on=add_months(filed_on, term),
    )
    session.add(request)
    session.flush()
    note_change(session, request.id, household.id)
    note(session, members=[member.id])
    return request


def extend_request(
    session: Session, actor: Actor, request: RightsRequest, data: RequestExtension
) -> RightsRequest:
    """Once, by one or two months, with a reason (AVG art. 12(3))."""
    note(session, members=[request.member_id])
    if request.decided_at is not None:
        raise Conflict("This request has been decided; its term can no longer be extended.")
    now = utcnow()
    due_on = add_months(request.filed_on, request.term_months + data.months)
    if request.extended_at is not None or not repository.extend(
        session,
        request.id,
        at=now,
        by=actor.sub,
        months=data.months,
        reason=data.reason,
        due_on=due_on,
    ):
        raise Conflict("This request has been extended once already, or decided.")
    request.extended_at, request.extended_by = now, actor.sub
    request.extension_months, request.extension_reason, request.due_on = (
        data.months,
        data.reason,
        due_on,
    )
    return request


def decide_request(
    session: Session, actor: Actor, request: RightsRequest, data: RequestDecision
) -> RightsRequest:
    """Once, with the outcome and its reason; who decided and when are kept with it."""
    note(session, members=[request.member_id])
    now = utcnow()
    if request.decided_at is not None or not repository.decide(
        session, request.id, at=now, by=actor.sub, outcome=data.outcome, reason=data.reason
    ):
        raise Conflict("This request has already been decided.")
    request.decided_at, request.decided_by = now, actor.sub
    request.outcome, request.decision_reason = data.outcome, data.reason
    return request


def read(request: RightsRequest, today: date) -> RightsRequestRead:
    open_ = request.decided_at is None
    return RightsRequestRead.model_validate(
        {
            **request.model_dump(),
            "status": request.status,
            "overdue": open_ and request.due_on < today,
            "days_left": (request.due_on - today).days if open_ else None,
        }
    )


def reads(requests: Sequence[RightsRequest]) -> list[RightsRequestRead]:
    today = clock.today()
    return [read(request, today) for request in requests]


def worklist(
    session: Session,
    actor: Actor,
    *,
    decided: bool | None,
    overdue: bool,
    limit: int,
    cursor: str | None,
) -> RightsRequestList:
    """The privacy officer's requests: open ones first, soonest due first. Each household
    shown gets the worklist in its access log."""
    rows = repository.worklist(
        session,
        actor,
        decided=decided,
        overdue_on=clock.today() if overdue else None,
        after=_decode(cursor) if cursor else None,
        limit=limit,
    )
    page = rows[:limit]
    show(session, (request.household_id for request in page))
    more = len(rows) > limit
    return RightsRequestList(items=reads(page), next_cursor=_encode(page[-1]) if more else None)


def _encode(last: RightsRequest) -> str:
    key = [0 if last.decided_at is None else 1, last.due_on.isoformat(), str(last.id)]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> repository.WorklistKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        flag, due_on, id_ = json.loads(raw)
        if flag not in (0, 1) or isinstance(flag, bool):
            raise ValueError(flag)
        return (flag, date.fromisoformat(due_on), uuid.UUID(id_))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Unprocessable(
            BAD_CURSOR, invalid_params=[{"name": "query:cursor", "reason": "invalid cursor"}]
        ) from exc
