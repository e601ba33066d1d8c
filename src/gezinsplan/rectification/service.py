"""Rules of rectification: a changed fact keeps its old value, who changed it, when and why;
the family's statement is attached to an assessment and never changes it. Both leave an
event with ids only, so the organizations that received the data learn of it (art. 19)."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gezinsplan.auth.actor import Actor
from gezinsplan.errors import NotFound, Unprocessable
from gezinsplan.events.service import EventType, record_event
from gezinsplan.households.models import Household
from gezinsplan.kit.clock import utcnow
from gezinsplan.kit.pagination import PageRequest, next_cursor
from gezinsplan.members.models import Member
from gezinsplan.rectification import repository
from gezinsplan.rectification.models import (
    FamilyStatement,
    MemberCorrection,
    SubjectKind,
)
from gezinsplan.rectification.schemas import (
    CorrectionPage,
    CorrectionRead,
    StatementCreate,
    StatementRead,
)

SUBJECT_NOT_FOUND = "No such goal, evaluation or progress update in this household."


def _as_text(value: Any) -> str | None:
    """A fact as the history stores it: ISO dates, ``true``/``false``, text as it is."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_request(
    session: Session, actor: Actor, household: Household, request_id: uuid.UUID | None
) -> None:
    """A named rights request must be a rectification request of this household; another
    household's id is refused like a random one."""
    if request_id is not None and not repository.is_rectification_request(
        session, actor, household.id, request_id
    ):
        raise Unprocessable.field(
            "rightsRequestId",
            "not a rectification request of this household",
            "No rectification request of this household has this id.",
        )


def keep_history(
    session: Session,
    actor: Actor,
    member: Member,
    before: Mapping[str, Any],
    *,
    reason: str | None,
    rights_request_id: uuid.UUID | None,
) -> bool:
    """One history row per fact field (``before``: its value then) that changed; whether any
    did."""
    now = utcnow()
    rows = [
        MemberCorrection(
            member_id=member.id,
            household_id=member.household_id,
            field=field,
            old_value=_as_text(old),
            new_value=_as_text(getattr(member, field)),
            reason=reason,
            corrected_by=actor.sub,
            corrected_at=now,
            rights_request_id=rights_request_id,
        )
        for field, old in before.items()
        if old != getattr(member, field)
    ]
    session.add_all(rows)
    return bool(rows)


def _correction(row: MemberCorrection, *, old_values: bool) -> CorrectionRead:
    read = CorrectionRead.model_validate(row)
    return read if old_values else read.model_copy(update={"old_value": None})


def member_history(
    session: Session,
    actor: Actor,
    household: Household,
    member_id: uuid.UUID,
    page: PageRequest,
    *,
    old_values: bool,
) -> CorrectionPage:
    """The member's changed facts; the old values for the family and the privacy officer."""
    if not repository.has_member(session, actor, household.id, member_id, old_values=old_values):
        raise NotFound("Member not found.")
    rows = repository.member_history(
        session, actor, household.id, member_id, page, old_values=old_values
    )
    return CorrectionPage(
        items=[_correction(row, old_values=old_values) for row in rows[: page.limit]],
        next_cursor=next_cursor(rows, page, order="corrected_at"),
        old_values_shown=old_values,
    )


def household_history(session: Session, actor: Actor, household: Household) -> list[CorrectionRead]:
    """Every changed fact of the household, old values included: for the data report, which
    only the family and the privacy officer read."""
    rows = repository.household_history(session, actor, household.id)
    return [_correction(row, old_values=True) for row in rows]


def to_read(statement: FamilyStatement) -> StatementRead:
    return StatementRead.model_validate(statement)


def file_statement(
    session: Session, actor: Actor, household: Household, data: StatementCreate
) -> StatementRead:
    """Attach the family's statement to an assessment of its own file; the event names the
    assessment (its ``dataref`` reads it again, statement attached), in its life domain."""
    kind = SubjectKind(data.subject_kind)
    found, life_domain = repository.subject(session, actor, household.id, kind, data.subject_id)
    if not found:
        raise NotFound(SUBJECT_NOT_FOUND)
    statement = FamilyStatement(
        household_id=household.id,
        subject_kind=kind,
        subject_id=data.subject_id,
        text=data.text,
        made_by_sub=actor.sub,
        made_by_member_id=actor.member,
    )
    session.add(statement)
    record_event(
        session,
        EventType.STATEMENT_ADDED,
        actor=actor,
        resource_type=kind,
        resource_id=data.subject_id,
        household_id=household.id,
        life_domain=life_domain,
    )
    session.flush()
    return to_read(statement)


def attached(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    kind: SubjectKind,
    subject_ids: Collection[uuid.UUID],
) -> dict[uuid.UUID, list[StatementRead]]:
    """The statements on the assessments shown, by assessment: one query, none when none is
    shown. Only those on ``subject_ids`` are kept, which the caller read through the rules."""
    found: dict[uuid.UUID, list[StatementRead]] = defaultdict(list)
    if not subject_ids:
        return found
    wanted = set(subject_ids)
    for statement in repository.attached(session, actor, household_id, kind):
        if statement.subject_id in wanted:
            found[statement.subject_id].append(to_read(statement))
    return found
