"""Erasing a household's personal data: on a granted request, or at the end of retention.

What is erased is ``registry``'s; how is ``repository``'s. The audit log is pseudonymised
so its chain still verifies: the digest of each record's identifying fields as sealed is
kept in their place, and everything else about the record stays proven by its link.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from gezinsplan.audit import chain
from gezinsplan.auth.actor import Actor
from gezinsplan.episodes.models import Episode
from gezinsplan.errors import Conflict, NotFound
from gezinsplan.events.service import EventType, address_events
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.indications.models import Indication
from gezinsplan.kit.clock import utcnow
from gezinsplan.rights import repository as file_parts
from gezinsplan.rights.erasure import repository
from gezinsplan.rights.models import Outcome, RequestKind
from gezinsplan.rights.requests import repository as requests
from gezinsplan.rights.retention import retention_of
from gezinsplan.rights.schemas import Retention


class ErasureRefused(Conflict):
    slug = "erasure-refused"


@dataclass(frozen=True)
class Erased:
    """What one erasure did: rows changed per table, audit records pseudonymised, and
    records sealed before migration 0021 that keep their fields (their links hash them)."""

    household_id: uuid.UUID
    erased_at: datetime
    retention: Retention
    rows: dict[str, int]
    answers_forgotten: int
    audit_pseudonymised: int
    audit_left: int


def erase(session: Session, household_id: uuid.UUID, retention: Retention) -> Erased:
    """Erase the household's personal data in the caller's transaction, and tell each
    organization that received it (AVG art. 19) with an event addressed to it alone."""
    now = utcnow()
    # Seal what is waiting, so each record's digest is taken from the record as sealed.
    chain.seal(session)
    repository.mark_erased(session, household_id, now, retention.retention_class, retention.ends_on)
    address_events(
        session,
        EventType.HOUSEHOLD_ERASED,
        household_id=household_id,
        addressees=repository.recipients(session, household_id),
    )
    members = repository.member_ids(session, household_id)
    rows = repository.erase_columns(session, household_id)
    forgotten = repository.forget_answers(session, [household_id, *members])
    pseudonymised, left = _pseudonymise(session, household_id, now)
    return Erased(household_id, now, retention, rows, forgotten, pseudonymised, left)


def _pseudonymise(session: Session, household_id: uuid.UUID, now: datetime) -> tuple[int, int]:
    from_seq = chain.digests_from(session)
    kept: list[dict[str, object]] = []
    left = 0
    for number, seq, digest, *values in repository.audit_records(session, household_id):
        if seq is not None and seq < from_seq:
            left += 1  # its link hashes the record itself: changing it would break the chain
            continue
        needs_digest = seq is not None and digest is None
        kept.append(
            {
                "record_number": number,
                "household_id": household_id,
                "digest": chain.identity_digest(zip(chain.COLUMNS, values, strict=True))
                if needs_digest
                else None,
                "erased_at": now,
            }
        )
    repository.keep_digests(session, kept)
    repository.pseudonymise(session, household_id)
    return len(kept), left


def erase_on_request(
    session: Session,
    actor: Actor,
    household: Household,
    request_id: uuid.UUID,
    *,
    municipal_years: int,
    today: date,
) -> Erased:
    """A granted erasure request, within what retention allows (decision 0032)."""
    request = requests.get(session, actor, household.id, request_id)
    if request is None:
        raise NotFound("Rights request not found.")
    if request.kind != RequestKind.ERASURE or request.outcome != Outcome.GRANTED:
        raise ErasureRefused("Only a granted request for erasure erases the file.")
    retention = retention_of(
        file_parts.episodes(session, actor, household.id),
        file_parts.indications(session, actor, household.id),
        municipal_years,
    )
    if household.status != HouseholdStatus.CLOSED:
        raise ErasureRefused(
            "The file is open: care is still given under it (AVG art. 17(3)(b)). Close it first."
        )
    if retention.retention_class != "youth_care" and (
        retention.ends_on is None or retention.ends_on > today
    ):
        raise ErasureRefused(
            "This municipal file is kept until "
            f"{retention.ends_on} for the municipality's public task (AVG art. 17(3)(b), "
            "Selectielijst gemeenten); only a youth-care file is destroyed on request "
            "(Jeugdwet art. 7.3.9)."
        )
    return erase(session, household.id, retention)


@dataclass
class RetentionRun:
    """What ``gezinsplan retention run`` found and did; ids only, never personal data."""

    today: date
    dry_run: bool
    checked: int = 0
    updated: int = 0
    erased: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))

    def lines(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        found = [
            f"retention run{' (dry run)' if self.dry_run else ''} on {self.today}: "
            f"{self.checked} closed files checked, {self.updated} end dates "
            f"{'to update' if self.dry_run else 'updated'}, "
            f"{sum(len(ids) for ids in self.erased.values())} {verb}"
        ]
        for retention_class in sorted(self.erased):
            ids = self.erased[retention_class]
            found.append(f"{retention_class}: {len(ids)} {verb}")
            found += [f"  {household_id}" for household_id in ids]
        return found


def retention_run(
    session: Session, *, today: date, municipal_years: int, dry_run: bool
) -> RetentionRun:
    """Derive every closed file's retention, store it, and erase the files whose end date
    has passed (``ends_on < today``). Open files are never erased. A dry run changes nothing."""
    run = RetentionRun(today=today, dry_run=dry_run)
    episodes: dict[uuid.UUID, list[Episode]] = defaultdict(list)
    indications: dict[uuid.UUID, list[Indication]] = defaultdict(list)
    for episode in repository.episodes_of_candidates(session):
        episodes[episode.household_id].append(episode)
    for indication in repository.indications_of_candidates(session):
        if indication.household_id is not None:
            indications[indication.household_id].append(indication)
    due: list[tuple[uuid.UUID, Retention]] = []
    for household_id, stored_class, stored_end in repository.candidates(session):
        run.checked += 1
        retention = retention_of(episodes[household_id], indications[household_id], municipal_years)
        if (stored_class, stored_end) != (retention.retention_class, retention.ends_on):
            run.updated += 1
            if not dry_run:
                repository.store_retention(
                    session, household_id, retention.retention_class, retention.ends_on
                )
        if retention.ends_on is not None and retention.ends_on < today:
            due.append((household_id, retention))
    for household_id, retention in due:
        run.erased[retention.retention_class].append(household_id)
        if not dry_run:
            erase(session, household_id, retention)
    return run
