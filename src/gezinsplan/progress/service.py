"""Rules for progress updates: append-only, one correction per update, exactly once per
partner id; every update leaves an event in the same transaction."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.access import repository as access
from gezinsplan.access.visibility import visibility
from gezinsplan.audit.models import LegalBasis
from gezinsplan.audit.trail import touch
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import (
    Conflict,
    NotFound,
    Problem,
    Unprocessable,
    problem_body,
    validation_params,
)
from gezinsplan.events.service import EventType, record_event, record_events
from gezinsplan.households.models import Household
from gezinsplan.kit.bulk import insert_many
from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.pagination import Cursor, PageRequest
from gezinsplan.plans.models import Goal
from gezinsplan.progress import repository
from gezinsplan.progress.models import ProgressUpdate
from gezinsplan.progress.repository import SCOPE
from gezinsplan.progress.schemas import (
    PUSH_ITEM,
    ProgressContent,
    ProgressCreate,
    ProgressPage,
    ProgressPushItem,
    ProgressRead,
    PushResult,
    PushResults,
    PushSummary,
)
from gezinsplan.rectification import service as rectification
from gezinsplan.rectification.models import SubjectKind
from gezinsplan.rectification.schemas import StatementRead

TABLE = ProgressUpdate.__table__  # type: ignore[attr-defined]
COLUMNS = frozenset(column.name for column in TABLE.columns)
GOAL_NOT_FOUND = "Goal not found."
CONTENT = ("text", "reported_on", "zrm_score", "outcome", "outcome_note")
ALREADY_CORRECTED = "This update has already been corrected; correct the correction instead."


def _check_content(data: ProgressContent, prefix: str = "") -> None:
    if data.outcome_note is not None and data.outcome is None:
        raise Unprocessable.field(
            f"{prefix}outcomeNote", "needs outcome", "A note on the outcome needs the outcome."
        )


def _new_row(actor: Actor, target: "Target", data: ProgressContent, **extra: Any) -> dict[str, Any]:
    """A new update as its table row.

    A push of 1,000 decides on rows: building a model instance per item (every attribute
    set through the ORM's instrumentation) took half of its time.
    """
    assigned = actor.org is not None and target.organization_id == actor.org
    row: dict[str, Any] = {
        "id": new_id(),
        "household_id": target.household_id,
        "goal_id": target.goal_id,
        "organization_id": actor.org if assigned else None,
        "author_sub": actor.sub,
        "author_name": actor.name,
        "client_sub": actor.sub if policy.is_machine_client(actor) else None,
        "external_id": None,
        "corrects_id": None,
        "created_at": utcnow(),
        **data.model_dump(include=set(CONTENT)),
        **extra,
    }
    return row


def _store(session: Session, actor: Actor, update: ProgressUpdate, life_domain: str) -> None:
    """Insert in a savepoint, so a correction of a corrected update is a 409 and no more."""
    try:
        with session.begin_nested():
            session.add(update)
            session.flush()
    except IntegrityError as exc:
        if update.corrects_id is not None:
            raise Conflict(ALREADY_CORRECTED) from exc
        raise Conflict("An update with this external id exists already.") from exc
    corrected = update.corrects_id is not None
    record_event(
        session,
        EventType.PROGRESS_CORRECTED if corrected else EventType.PROGRESS_REPORTED,
        actor=actor,
        resource_type="progress_update",
        resource_id=update.id,
        household_id=update.household_id,
        life_domain=life_domain,
    )
    session.flush()


@dataclass(frozen=True)
class Target:
    """The goal an update is about: its household and the organization it is assigned to."""

    goal_id: uuid.UUID
    household_id: uuid.UUID
    organization_id: uuid.UUID | None
    life_domain: str

    @classmethod
    def of(cls, goal: Goal, household_id: uuid.UUID) -> "Target":
        return cls(goal.id, household_id, goal.organization_id, goal.life_domain)


def report(session: Session, actor: Actor, target: Target, data: ProgressCreate) -> ProgressUpdate:
    """A new update on the goal; a correction names an update of the same goal."""
    _check_content(data)
    if data.corrects_id is not None:
        original = repository.reported(session, actor, target.goal_id, data.corrects_id)
        if original is None:
            raise Unprocessable.field(
                "correctsId", "not an update of this goal", "No such update of this goal."
            )
    update = ProgressUpdate(**_new_row(actor, target, data, corrects_id=data.corrects_id))
    _store(session, actor, update, target.life_domain)
    return update


def to_read(
    update: ProgressUpdate,
    corrected_by: uuid.UUID | None = None,
    statements: Sequence[StatementRead] = (),
) -> ProgressRead:
    """The update as read; ``statements``: the family's on it (a new update has none)."""
    return ProgressRead(
        id=update.id,
        household_id=update.household_id,
        goal_id=update.goal_id,
        organization_id=update.organization_id,
        author_name=update.author_name,
        external_id=update.external_id,
        text=update.text,
        reported_on=update.reported_on,
        zrm_score=update.zrm_score,
        outcome=update.outcome,
        outcome_note=update.outcome_note,
        corrects=update.corrects_id,
        corrected_by=corrected_by,
        family_statements=list(statements),
        created_at=update.created_at,
    )


def reads(
    session: Session, actor: Actor, household_id: uuid.UUID, rows: Sequence[Any]
) -> list[ProgressRead]:
    """(update, id of its correction) rows as read, each with the family's statements on it:
    one query for them all."""
    statements = rectification.attached(
        session, actor, household_id, SubjectKind.PROGRESS_UPDATE, [row[0].id for row in rows]
    )
    return [
        to_read(update, corrected_by, statements.get(update.id, ()))
        for update, corrected_by in rows
    ]


def page(
    session: Session,
    actor: Actor,
    household: Household,
    rows: Sequence[Any],
    request: PageRequest,
) -> ProgressPage:
    shown = rows[: request.limit]
    more = len(rows) > request.limit
    last = shown[-1][0] if shown else None
    return ProgressPage(
        items=reads(session, actor, household.id, shown),
        next_cursor=Cursor(last.created_at, last.id).encode() if more and last else None,
        visibility=visibility(session, actor, household, SCOPE),
    )


# --- the bulk push ---------------------------------------------------------------------------


@dataclass
class _Push:
    """What the push knows before its first insert: the goals, the updates already stored."""

    goals: dict[uuid.UUID, Target]  # the goals the client reports on
    stored: dict[str, dict[str, Any]]  # external id -> the organization's update, as a row
    corrected: set[uuid.UUID]
    roles: dict[uuid.UUID, uuid.UUID]  # household -> the client's care-provider assignment
    one_by_one: bool  # store each update as it is decided, in a savepoint of its own
    new: list[dict[str, Any]]  # decided rows, to be stored together when not one by one


def _row_of(update: ProgressUpdate) -> dict[str, Any]:
    return {name: getattr(update, name) for name in COLUMNS}


def _same(row: dict[str, Any], item: ProgressPushItem, corrects: uuid.UUID | None) -> bool:
    sent = item.model_dump(include=set(CONTENT))
    return (
        row["household_id"] == item.household_id
        and row["goal_id"] == item.goal_id
        and row["corrects_id"] == corrects
        and all(row[name] == value for name, value in sent.items())
    )


def _rejected(index: int, external_id: str | None, problem: Problem) -> PushResult:
    body = problem_body(
        problem.status, problem.detail, slug=problem.slug, invalid_params=problem.invalid_params
    )
    return PushResult.model_validate(
        {"index": index, "externalId": external_id, "status": "rejected", "problem": body}
    )


def _external_id(raw: Any) -> str | None:
    value = raw.get("externalId") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 100 else None


def _parse(raw: Any, index: int) -> ProgressPushItem:
    """One item, validated on its own; its errors are named as the whole body would name them."""
    where = f"updates.{index}"
    try:
        item = PUSH_ITEM.validate_python(raw)
    except ValidationError as exc:
        found = [
            {
                "name": f"body:{where}" + (f".{p['name']}" if p["name"] else ""),
                "reason": p["reason"],
            }
            for p in validation_params(exc.errors())
        ]
        raise Unprocessable(
            "The update does not validate; see invalidParams.", invalid_params=found
        ) from exc
    _check_content(item, f"{where}.")
    return item


def _one(
    session: Session, actor: Actor, push: _Push, item: ProgressPushItem
) -> tuple[str, uuid.UUID]:
    """Store one item, or say it is a duplicate; a refusal is a Problem."""
    target = push.goals.get(item.goal_id)
    if target is None or target.household_id != item.household_id:
        raise NotFound(GOAL_NOT_FOUND)
    corrects: uuid.UUID | None = None
    if item.corrects_external_id is not None:
        original = push.stored.get(item.corrects_external_id)
        if original is None or original["goal_id"] != item.goal_id:
            raise Unprocessable.field(
                "correctsExternalId",
                "not an update of this goal",
                "No update of this goal has that external id.",
            )
        corrects = original["id"]
    existing = push.stored.get(item.external_id)
    if existing is not None:
        if _same(existing, item, corrects):
            return "duplicate", existing["id"]
        raise Conflict("An update with this external id exists already, with other content.")
    if corrects is not None and corrects in push.corrected:
        raise Conflict(ALREADY_CORRECTED)
    row = _new_row(actor, target, item, external_id=item.external_id, corrects_id=corrects)
    if push.one_by_one:
        _store(session, actor, ProgressUpdate(**row), target.life_domain)
    else:
        push.new.append(row)
    push.stored[item.external_id] = row
    if corrects is not None:
        push.corrected.add(corrects)
    household_id = target.household_id
    touch(session, household_id, LegalBasis.CARE_ASSIGNMENT, push.roles.get(household_id))
    return "created", row["id"]


def push(session: Session, actor: Actor, raw_items: Sequence[Any]) -> PushResults:
    """Each item on its own: stored whole or not at all, answered in the order sent.

    Goals, updates already stored and assignments are loaded once for the whole request and
    every item is decided in memory; the new updates and their events are then written in two
    statements. Only when the database refuses that (a concurrent push stored one of these
    external ids meanwhile) is the request decided again, each update in a savepoint of its own.
    """
    together = _push(session, actor, raw_items, one_by_one=False)
    if together is not None:
        return together
    one_by_one = _push(session, actor, raw_items, one_by_one=True)
    assert one_by_one is not None, "storing one by one never falls back"
    return one_by_one


def _push(
    session: Session, actor: Actor, raw_items: Sequence[Any], *, one_by_one: bool
) -> PushResults | None:
    parsed: list[ProgressPushItem | Problem] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append(_parse(raw, index))
        except Problem as problem:
            parsed.append(problem)
    items = [item for item in parsed if isinstance(item, ProgressPushItem)]
    goals = {
        goal_id: Target(goal_id, household_id, organization_id, life_domain)
        for goal_id, household_id, organization_id, life_domain in repository.reportable_goals(
            session, actor, {item.goal_id for item in items}
        )
    }
    external = {item.external_id for item in items} | {
        item.corrects_external_id for item in items if item.corrects_external_id
    }
    found = repository.by_external_ids(session, actor, external) if external else {}
    stored = {external_id: _row_of(update) for external_id, update in found.items()}
    push_state = _Push(
        goals=goals,
        stored=stored,
        corrected=repository.corrected_ids(session, actor, [u.id for u in found.values()]),
        roles=access.care_assignments(
            session, actor, sorted({t.household_id for t in goals.values()})
        ),
        one_by_one=one_by_one,
        new=[],
    )
    results: list[PushResult] = []
    for index, (raw, item) in enumerate(zip(raw_items, parsed, strict=True)):
        if isinstance(item, Problem):
            results.append(_rejected(index, _external_id(raw), item))
            continue
        try:
            status, update_id = _one(session, actor, push_state, item)
        except Problem as problem:
            results.append(_rejected(index, item.external_id, problem))
            continue
        results.append(
            PushResult(index=index, external_id=item.external_id, status=status, id=update_id)
        )
    if not _store_together(session, actor, push_state.new, push_state.goals):
        return None
    counts = {s: sum(r.status == s for r in results) for s in ("created", "duplicate", "rejected")}
    return PushResults(results=results, summary=PushSummary(**counts))


def _store_together(
    session: Session, actor: Actor, rows: list[dict[str, Any]], goals: dict[uuid.UUID, Target]
) -> bool:
    """The updates and their events in one executemany each; False, with nothing written,
    when the database refuses one of them."""
    if not rows:
        return True
    try:
        with session.begin_nested():
            insert_many(session, TABLE, rows)
            for type_, corrections in (
                (EventType.PROGRESS_REPORTED, False),
                (EventType.PROGRESS_CORRECTED, True),
            ):
                record_events(
                    session,
                    type_,
                    actor=actor,
                    resource_type="progress_update",
                    resources=[
                        (row["id"], row["household_id"], goals[row["goal_id"]].life_domain)
                        for row in rows
                        if (row["corrects_id"] is not None) == corrections
                    ],
                )
    except IntegrityError:
        return False
    return True
