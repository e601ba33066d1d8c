"""The indication sync: validate each record on its own, then write the batch set-based.

Validation happens before anything is written, and the valid records are written by one
upsert in the request's transaction: a record is stored whole or, when the statement fails,
the request fails whole and nothing of it is kept.
"""

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from gezinsplan.access import policy
from gezinsplan.audit.trail import note, show
from gezinsplan.auth.actor import Actor
from gezinsplan.errors import Forbidden
from gezinsplan.events.service import EventType, record_events
from gezinsplan.indications import repository
from gezinsplan.indications.models import Indication
from gezinsplan.indications.schemas import (
    IndicationRecord,
    IndicationSynced,
    RecordResult,
    SyncResult,
    SyncSummary,
    record_problem,
)
from gezinsplan.kit.clock import new_id, utcnow
from gezinsplan.kit.pagination import Cursor, PageRequest
from gezinsplan.kit.record_errors import invalid_params
from gezinsplan.members.models import Member

RECORD = TypeAdapter(IndicationRecord)
RESOURCE = "indication"


@dataclass(frozen=True)
class _Valid:
    index: int
    record: IndicationRecord
    content_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return self.record.municipality_code, self.record.indication_number


def content_hash(record: IndicationRecord) -> str:
    """A digest of everything the record says: equal digests, nothing to write."""
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _number_of(item: Any) -> str | None:
    number = item.get("indicationNumber") if isinstance(item, dict) else None
    return number[:40] if isinstance(number, str) else None


def _rejected(index: int, number: str | None, detail: str, invalid: Any) -> RecordResult:
    return RecordResult(
        index=index,
        indication_number=number,
        status="rejected",
        problem=record_problem(detail, invalid),
    )


def _validate(actor: Actor, items: Sequence[Any]) -> tuple[list[_Valid], dict[int, RecordResult]]:
    valid: list[_Valid] = []
    rejected: dict[int, RecordResult] = {}
    first_at: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        number = _number_of(item)
        try:
            record = RECORD.validate_python(item)
        except ValidationError as exc:
            detail = "The record does not validate; see invalidParams."
            rejected[index] = _rejected(index, number, detail, invalid_params(exc))
            continue
        if not policy.may_sync_indications_of(actor, record.municipality_code):
            reason = "not one of this system's municipalities"
            detail = f"Municipality {record.municipality_code} is not one of this system's."
            rejected[index] = _rejected(
                index, number, detail, [{"name": "municipalityCode", "reason": reason}]
            )
            continue
        checked = _Valid(index, record, content_hash(record))
        if checked.key in first_at:
            detail = f"This key occurs earlier in the batch, at index {first_at[checked.key]}."
            reason = "duplicate key in the batch"
            rejected[index] = _rejected(
                index, number, detail, [{"name": "indicationNumber", "reason": reason}]
            )
            continue
        first_at[checked.key] = index
        valid.append(checked)
    return valid, rejected


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for municipality, value in pairs:
        grouped[municipality].add(value)
    return {municipality: sorted(values) for municipality, values in grouped.items()}


def sync(session: Session, actor: Actor, items: Sequence[Any]) -> SyncResult:
    """Upsert a batch by (municipality, indication number); answer each record in order."""
    valid, results = _validate(actor, items)
    stored = repository.stored(session, actor, _grouped(v.key for v in valid))
    writes = [
        v for v in valid if v.key not in stored or stored[v.key].content_hash != v.content_hash
    ]
    members: Mapping[tuple[str, str], tuple[uuid.UUID | None, uuid.UUID | None]]
    members = repository.open_members(
        session, actor, _grouped((v.record.municipality_code, v.record.bsn) for v in writes)
    )
    providers = repository.organizations_by_agb(
        session, sorted({v.record.provider_agb for v in writes})
    )
    now = utcnow()
    rows = []
    for v in writes:
        old = stored.get(v.key)
        member_id, household_id = members.get(
            (v.record.municipality_code, v.record.bsn), (None, None)
        )
        if member_id is None and old is not None and old.bsn == v.record.bsn:
            member_id, household_id = old.member_id, old.household_id
        rows.append(
            {
                **v.record.model_dump(),
                "id": old.id if old else new_id(),
                "member_id": member_id,
                "household_id": household_id,
                "provider_organization_id": providers.get(v.record.provider_agb),
                "content_hash": v.content_hash,
                "created_at": now,
                "updated_at": now,
            }
        )
    ids = repository.upsert(session, rows)
    show(session, (row["household_id"] for row in rows))

    events: dict[EventType, list[tuple[uuid.UUID, uuid.UUID | None, None]]] = defaultdict(list)
    for v, row in zip(writes, rows, strict=True):
        old = stored.get(v.key)
        id_ = ids[v.key]
        status = "updated" if old else "created"
        events[EventType.INDICATION_UPDATED if old else EventType.INDICATION_CREATED].append(
            (id_, row["household_id"], None)
        )
        if row["member_id"] is not None and (old is None or old.member_id != row["member_id"]):
            events[EventType.INDICATION_LINKED].append((id_, row["household_id"], None))
        results[v.index] = RecordResult(
            index=v.index,
            indication_number=v.record.indication_number,
            status=status,
            id=id_,
            linked=row["member_id"] is not None,
        )
    for v in valid:
        if v.index not in results:
            old = stored[v.key]
            results[v.index] = RecordResult(
                index=v.index,
                indication_number=v.record.indication_number,
                status="unchanged",
                id=old.id,
                linked=old.member_id is not None,
            )
    for type_, resources in events.items():
        record_events(session, type_, actor=actor, resource_type=RESOURCE, resources=resources)
    ordered = [results[index] for index in range(len(items))]
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    for result in ordered:
        counts[result.status] += 1
    return SyncResult(results=ordered, summary=SyncSummary(**counts))


def link_member(session: Session, actor: Actor, member: Member, municipality_code: str) -> None:
    """A member with a BSN joined a household: its municipality's waiting indications link."""
    if member.bsn is None:
        return
    linked = repository.link_person(
        session,
        bsn=member.bsn,
        municipality_code=municipality_code,
        member_id=member.id,
        household_id=member.household_id,
        now=utcnow(),
    )
    record_events(
        session,
        EventType.INDICATION_LINKED,
        actor=actor,
        resource_type=RESOURCE,
        resources=[(id_, member.household_id, None) for id_ in linked],
    )


def unlink_member(session: Session, member: Member) -> None:
    """The member leaves the file (removed, or its BSN changed): the indications wait again."""
    repository.unlink_member(session, member.id, utcnow())


def for_household(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Indication]:
    rows = repository.list_for_household(session, actor, household_id, page)
    note(session, members=[row.member_id for row in rows[: page.limit] if row.member_id])
    return rows


def synced(
    session: Session,
    actor: Actor,
    page: PageRequest,
    *,
    municipality: str | None,
    changed_since: datetime | None,
) -> tuple[list[IndicationSynced], str | None]:
    """The system's own records, oldest change first; 403 for another municipality."""
    if municipality is not None and not policy.may_sync_indications_of(actor, municipality):
        raise Forbidden(f"Municipality {municipality} is not one of this system's.")
    wanted = [municipality] if municipality else sorted(actor.municipalities)
    rows = repository.list_synced(
        session, actor, page, municipalities=wanted, changed_since=changed_since
    )
    items = [
        IndicationSynced.model_validate({**row.model_dump(), "linked": row.member_id is not None})
        for row in rows[: page.limit]
    ]
    show(session, (row.household_id for row in rows[: page.limit]))
    cursor = None
    if len(rows) > page.limit:
        last = rows[page.limit - 1]
        cursor = Cursor(last.updated_at, last.id).encode()
    return items, cursor
