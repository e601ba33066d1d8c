"""The audit trail of one request: filled in as the request goes, written once at its end.

``db.get_session`` opens a trail for every request and keeps it on the session, where the
access rules, the event recorder and the services can reach it without the request. Only a
request that passed an access rule for case data is ``audited``; it writes exactly one
record: inside the request's transaction when the work commits, or in a transaction of its
own after a rollback, so denied and failed attempts leave a trace too.
"""

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from gezinsplan.audit import repository
from gezinsplan.audit.models import AuditAction, AuditOutcome, LegalBasis
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import AuditUnavailable, Problem
from gezinsplan.kit.clock import utcnow

TRAIL_KEY = "gezinsplan_audit_trail"
ACTIONS = {
    "GET": AuditAction.READ,
    "HEAD": AuditAction.READ,
    "POST": AuditAction.CREATE,
    "PUT": AuditAction.UPDATE,
    "PATCH": AuditAction.UPDATE,
    "DELETE": AuditAction.DELETE,
}
# W3C Trace Context, version 00: only a well-formed header is kept.
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass
class AuditTrail:
    started_at: datetime
    method: str
    request_id: str
    traceparent: str | None
    client_address: str | None
    resource: str = ""
    resource_id: str | None = None
    audited: bool = False
    actor: Actor | None = None
    action: AuditAction | None = None
    household_id: uuid.UUID | None = None
    member_ids: list[uuid.UUID] = field(default_factory=list)
    legal_basis: LegalBasis = LegalBasis.NONE
    legal_basis_id: uuid.UUID | None = None
    purpose: str | None = None
    created: bool = False
    # Households a request spanning several (a bulk push) changed, each with its grounds.
    touched: dict[uuid.UUID, tuple[LegalBasis, uuid.UUID | None]] = field(default_factory=dict)
    # Households a response showed (a list, a search, the feed): named by one record.
    shown: set[uuid.UUID] = field(default_factory=set)

    def records(self, status_code: int) -> list[dict[str, Any]]:
        """One record, or one per household touched, so each family's access log shows it;
        the first names the households shown that have no record of their own."""
        if not self.touched:
            return [self.record(status_code)]
        return [
            replace(
                self,
                household_id=household_id,
                legal_basis=basis,
                legal_basis_id=basis_id,
                resource_id=None,
                touched={},
                shown=self.shown - set(self.touched) if index == 0 else set(),
            ).record(status_code)
            for index, (household_id, (basis, basis_id)) in enumerate(self.touched.items())
        ]

    def record(self, status_code: int) -> dict[str, Any]:
        """The record's row: plain values, inserted without an ORM instance."""
        actor = self.actor
        return {
            "started_at": self.started_at,
            "ended_at": utcnow(),
            "action": str(self.action or ACTIONS.get(self.method, AuditAction.READ)),
            "outcome": str(_outcome(status_code)),
            "status_code": int(status_code),
            "actor_sub": actor.sub if actor else None,
            "actor_name": actor.name if actor else None,
            "actor_organization_id": actor.org if actor else None,
            "actor_roles": ",".join(sorted(actor.roles)) if actor else "",
            "purpose": self.purpose,
            "legal_basis": str(self.legal_basis),
            "legal_basis_id": self.legal_basis_id,
            "household_id": self.household_id,
            "member_ids": ",".join(str(m) for m in dict.fromkeys(self.member_ids)),
            "method": self.method,
            "resource": self.resource,
            "resource_id": self.resource_id,
            "request_id": self.request_id,
            "traceparent": self.traceparent,
            "client_address": self.client_address,
            "named_households": ",".join(
                sorted(str(h) for h in self.shown if h != self.household_id)
            ),
        }


def _outcome(status_code: int) -> AuditOutcome:
    if status_code < 400:
        return AuditOutcome.SUCCESS
    if status_code in {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND}:
        return AuditOutcome.DENIED
    if status_code < 500:
        return AuditOutcome.REJECTED
    return AuditOutcome.FAILED


def open_trail(session: Session, request: Request) -> AuditTrail:
    traceparent = request.headers.get("traceparent", "").strip().lower()
    route = request.scope.get("route")
    params = request.path_params
    trail = AuditTrail(
        started_at=utcnow(),
        method=request.method,
        request_id=getattr(request.state, "request_id", None) or str(uuid.uuid4()),
        traceparent=traceparent if TRACEPARENT.match(traceparent) else None,
        client_address=request.client.host if request.client else None,
        # The route's template; the URL (built on demand, each time) only when none matched.
        resource=(getattr(route, "path", None) or request.url.path)[:200],
        resource_id=str(list(params.values())[-1])[:100] if params else None,
    )
    trail.household_id = _uuid(params.get("household_id"))
    member = _uuid(params.get("member_id"))
    if member is not None:
        trail.member_ids.append(member)
    session.info[TRAIL_KEY] = trail
    return trail


def open_command_trail(session: Session, command: str) -> AuditTrail:
    """A command-line run on case data, audited like a request with an id of its own."""
    trail = AuditTrail(
        started_at=utcnow(),
        method="PUT",
        request_id=f"cli-{uuid.uuid4()}",
        traceparent=None,
        client_address=None,
        resource=f"cli: {command}"[:200],
    )
    session.info[TRAIL_KEY] = trail
    return trail


def write_command_record(session: Session) -> None:
    """The command's work succeeded: its record goes into the same transaction."""
    trail = trail_of(session)
    if trail is not None and trail.audited:
        repository.add_records(session, [trail.record(HTTPStatus.OK)])


def _uuid(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def trail_of(session: Session) -> AuditTrail | None:
    trail = session.info.get(TRAIL_KEY)
    return trail if isinstance(trail, AuditTrail) else None


def audit(
    session: Session,
    actor: Actor,
    *,
    household_id: uuid.UUID | None = None,
    basis: LegalBasis = LegalBasis.NONE,
    basis_id: uuid.UUID | None = None,
    purpose: str | None = None,
    keep: bool = False,
) -> None:
    """Mark the request as one on case data, with who asks, about what, and on what grounds.

    ``keep``: leave grounds a more specific rule of the same request already set.
    """
    trail = trail_of(session)
    if trail is None or (keep and trail.audited):
        return
    trail.audited = True
    trail.actor = actor
    if household_id is not None:
        trail.household_id = household_id
    trail.legal_basis = basis
    trail.legal_basis_id = basis_id
    trail.purpose = purpose


def note_change(session: Session, resource_id: uuid.UUID, household_id: uuid.UUID | None) -> None:
    """A change's event names what it created: a POST's record points at the new resource."""
    trail = trail_of(session)
    if trail is None:
        return
    if trail.method == "POST" and not trail.created:
        trail.resource_id = str(resource_id)
        trail.created = True
    if trail.household_id is None and household_id is not None:
        trail.household_id = household_id


def note(
    session: Session, *, action: AuditAction | None = None, members: Sequence[uuid.UUID] = ()
) -> None:
    """Say what the method alone does not: a POST that changes, the members concerned."""
    trail = trail_of(session)
    if trail is None:
        return
    if action is not None:
        trail.action = action
    trail.member_ids.extend(members)


def show(session: Session, household_ids: Iterable[uuid.UUID | None]) -> None:
    """The response shows these households: the request's record names them, so each
    family's access log has the list, search, worklist, feed or sync that showed it."""
    trail = trail_of(session)
    if trail is not None:
        trail.shown.update(h for h in household_ids if h is not None)


def touch(
    session: Session, household_id: uuid.UUID, basis: LegalBasis, basis_id: uuid.UUID | None
) -> None:
    """A request spanning households changed this one, on these grounds."""
    trail = trail_of(session)
    if trail is not None:
        trail.touched.setdefault(household_id, (basis, basis_id))


def write_success(session: Session, request: Request) -> None:
    """Insert the record inside the request's transaction; failing here fails the request."""
    rows = success_records(session, request)
    if not rows:
        return
    try:
        # A bulk push writes one record per household it touched: one statement for all.
        repository.add_records(session, rows)
    except SQLAlchemyError as exc:
        raise unavailable() from exc


def success_records(session: Session, request: Request) -> list[dict[str, Any]]:
    """The rows recording the request's success; none when it is not audited."""
    trail = trail_of(session)
    if trail is None or not trail.audited:
        return []
    route = request.scope.get("route")
    status_code = getattr(route, "status_code", None) or HTTPStatus.OK
    return trail.records(int(status_code))


def unavailable() -> AuditUnavailable:
    return AuditUnavailable(
        "The request could not be recorded in the audit log, so it was not carried out."
    )


def status_of(exc: BaseException) -> int:
    if isinstance(exc, Problem):
        return exc.status
    if isinstance(exc, RequestValidationError):
        return HTTPStatus.UNPROCESSABLE_ENTITY
    if isinstance(exc, IntegrityError):
        return HTTPStatus.CONFLICT
    if isinstance(exc, OperationalError):
        return HTTPStatus.SERVICE_UNAVAILABLE
    return HTTPStatus.INTERNAL_SERVER_ERROR


def add_failure(session: Session, exc: BaseException) -> bool:
    """Once the work is undone (rolled back, or never written: ``db``), add the attempt's
    record; the caller commits it alone."""
    rows = failure_records(session, exc)
    if rows:
        repository.add_records(session, rows)
    return bool(rows)


def failure_records(session: Session, exc: BaseException) -> list[dict[str, Any]]:
    """The rows recording the request's failure; none when it is not audited."""
    trail = trail_of(session)
    if trail is None or not trail.audited:
        return []
    return trail.records(status_of(exc))
