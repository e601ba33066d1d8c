"""Queries on indications: set-based for the sync, from the access statements for reads.

A sync of 10,000 records costs a handful of statements: one read of the existing keys per
municipality (in chunks), one of the members to link, one of the providers, and one
executemany upsert.
"""

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.access.predicates import linkable_households
from gezinsplan.access.scopes import Scope
from gezinsplan.access.statements import reachable, readable, synced
from gezinsplan.auth.actor import Actor
from gezinsplan.households.models import Household, HouseholdStatus
from gezinsplan.indications.models import Indication
from gezinsplan.kit.bulk import execute_many, insert_rows, one_of
from gezinsplan.kit.pagination import PageRequest, paginate
from gezinsplan.members.models import Member
from gezinsplan.organizations.models import Organization

# Bound parameters per IN list: well below SQLite's and PostgreSQL's limits.
CHUNK = 1000
TABLE = Indication.__table__  # type: ignore[attr-defined]
# What a re-sent record may change: everything but the key, the id and the creation time.
UPSERT_COLUMNS = tuple(
    c.name
    for c in TABLE.columns
    if c.name not in {"id", "created_at", "municipality_code", "indication_number"}
)

T = TypeVar("T")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True)
class Stored:
    """What the sync needs of an existing row to classify a re-sent record."""

    id: uuid.UUID
    bsn: str
    content_hash: str
    member_id: uuid.UUID | None
    household_id: uuid.UUID | None


def stored(
    session: Session, actor: Actor, keys: dict[str, list[str]]
) -> dict[tuple[str, str], Stored]:
    """The existing rows for the batch's keys (municipality -> indication numbers)."""
    found: dict[tuple[str, str], Stored] = {}
    for municipality, numbers in keys.items():
        for chunk in _chunks(numbers):
            statement = synced(
                actor,
                col(Indication.indication_number),
                col(Indication.id),
                col(Indication.bsn),
                col(Indication.content_hash),
                col(Indication.member_id),
                col(Indication.household_id),
            ).where(
                col(Indication.municipality_code) == municipality,
                one_of(session, col(Indication.indication_number), chunk),
            )
            for number, id_, bsn, digest, member_id, household_id in session.execute(statement):
                found[municipality, number] = Stored(id_, bsn, digest, member_id, household_id)
    return found


def open_members(
    session: Session, actor: Actor, bsns: dict[str, list[str]]
) -> dict[tuple[str, str], tuple[uuid.UUID, uuid.UUID]]:
    """(municipality, BSN) -> (member, household) for people in an open household there."""
    found: dict[tuple[str, str], tuple[uuid.UUID, uuid.UUID]] = {}
    for municipality, wanted in bsns.items():
        for chunk in _chunks(wanted):
            statement = reachable(
                Member,
                linkable_households(actor),
                col(Member.bsn),
                col(Member.id),
                col(Member.household_id),
            ).where(
                one_of(session, col(Member.bsn), chunk),
                col(Member.household_status) == HouseholdStatus.OPEN,
                col(Household.municipality_code) == municipality,
            )
            for bsn, member_id, household_id in session.execute(statement):
                found[municipality, str(bsn)] = (member_id, household_id)
    return found


def organizations_by_agb(session: Session, agb_codes: Sequence[str]) -> dict[str, uuid.UUID]:
    """The directory's organizations by AGB code (a directory: no case data)."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(agb_codes):
        statement = select(col(Organization.agb_code), col(Organization.id)).where(
            col(Organization.agb_code).in_(chunk)
        )
        for agb, organization_id in session.execute(statement):
            found[str(agb)] = organization_id
    return found


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], uuid.UUID]:
    """Insert or update every row in one statement; the unique key settles races.

    Two syncs of the same new key at once both insert; the database turns the second into an
    update of the first's row, so there is never a duplicate. Returns the ids by key.
    """
    if not rows:
        return {}
    new: Any = insert_rows(session, TABLE)
    statement = new.on_conflict_do_update(
        index_elements=["municipality_code", "indication_number"],
        set_={name: new.excluded[name] for name in UPSERT_COLUMNS},
    ).returning(TABLE.c.municipality_code, TABLE.c.indication_number, TABLE.c.id)
    return {(m, n): id_ for m, n, id_ in execute_many(session, statement, rows)}


def link_person(
    session: Session,
    *,
    bsn: str,
    municipality_code: str,
    member_id: uuid.UUID,
    household_id: uuid.UUID,
    now: datetime,
) -> list[uuid.UUID]:
    """Link the municipality's unlinked indications for this BSN to a member just added."""
    statement = (
        update(Indication)
        .where(
            col(Indication.bsn) == bsn,
            col(Indication.municipality_code) == municipality_code,
            col(Indication.member_id).is_(None),
        )
        .values(member_id=member_id, household_id=household_id, updated_at=now)
        .returning(col(Indication.id))
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def unlink_member(session: Session, member_id: uuid.UUID, now: datetime) -> None:
    """The member leaves the file: its indications stay, unlinked, for a later member."""
    statement = (
        update(Indication)
        .where(col(Indication.member_id) == member_id)
        .values(member_id=None, household_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(statement)


def list_for_household(
    session: Session, actor: Actor, household_id: uuid.UUID, page: PageRequest
) -> Sequence[Indication]:
    statement = readable(Indication, actor, Scope.INDICATIONS).where(
        col(Indication.household_id) == household_id
    )
    return session.scalars(
        paginate(statement, col(Indication.created_at), col(Indication.id), page)
    ).all()


def list_synced(
    session: Session,
    actor: Actor,
    page: PageRequest,
    *,
    municipalities: Iterable[str],
    changed_since: datetime | None,
) -> Sequence[Indication]:
    """The system's own indications, in the order they last changed, for reconciliation."""
    statement = synced(actor).where(col(Indication.municipality_code).in_(sorted(municipalities)))
    if changed_since is not None:
        statement = statement.where(col(Indication.updated_at) >= changed_since)
    return session.scalars(
        paginate(statement, col(Indication.updated_at), col(Indication.id), page)
    ).all()
