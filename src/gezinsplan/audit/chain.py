"""The hash chain over audit records: sealed after commit, verified by walking it.

Requests only insert records. One sealer at a time (``seal``) appends committed, unsealed
records to the chain, so requests never contend for its head; ``verify`` names the first
entry that does not hold. See docs/decisions/0011-audit-chain-sealed-after-commit.md.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Row, func, inspect, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.audit.models import AuditChainFormat, AuditErasure, AuditRecord, AuditSeal
from gezinsplan.kit.bulk import insert_many
from gezinsplan.kit.clock import utcnow

GENESIS = "0" * 64
WINDOW = timedelta(seconds=60)
# One advisory lock key ("gz-audit") for every sealer of the database.
SEAL_LOCK = 0x677A_2D61_7564_6974
COLUMNS = tuple(sorted(attribute.key for attribute in inspect(AuditRecord).column_attrs))
NUMBER_AT = COLUMNS.index("number")
SEALS = AuditSeal.__table__  # type: ignore[attr-defined]
APPEND_ONLY = frozenset(
    {
        "audit_records",
        "audit_chain",
        "audit_named_households",
        "audit_erasures",
        "audit_chain_format",
    }
)


def _plain(value: object) -> object:
    """A JSON value that reads the same from SQLite and PostgreSQL. Strings, numbers and
    NULL, most of a record, are answered first: every record is encoded twice when sealed."""
    if value is None or type(value) is str or type(value) is int:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("audit times are timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str | int):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")


# Columns added after records were sealed, hashed only when set, so those still verify.
LATER = {"named_households": ""}


def _encode(values: Iterable[tuple[str, object]]) -> bytes:
    plain = {
        name: _plain(value) for name, value in values if name not in LATER or LATER[name] != value
    }
    return json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()


def canonical(record: AuditRecord) -> bytes:
    """Every column of the record, ``number`` included, as compact JSON with sorted keys."""
    return _encode((name, getattr(record, name)) for name in COLUMNS)


# What links a record to a family: cleared when its household is erased (decision 0032).
# Every other column (who read, when, what kind of resource, on which basis, the outcome)
# stays, and every link keeps proving it.
IDENTIFYING = frozenset(
    {
        "household_id",
        "member_ids",
        "resource_id",
        "purpose",
        "request_id",
        "traceparent",
        "named_households",
    }
)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def identity_digest(values: Iterable[tuple[str, object]]) -> str:
    """The sha256 of a record's identifying fields: kept (``AuditErasure``) when they are
    cleared, so the record's link still verifies."""
    return _digest(_encode((name, value) for name, value in values if name in IDENTIFYING))


def _chained(
    prev_hash: str,
    seq: int,
    values: Sequence[tuple[str, object]],
    digests_from: int,
    kept_identity: str | None = None,
) -> str:
    """The link of a record at ``seq``: over the record itself before ``digests_from``; from
    there on over two digests, of the fields that stay and of the identifying ones (or the
    identifying digest kept when they were cleared)."""
    if seq < digests_from:
        return _link(prev_hash, seq, _encode(values))
    staying = _digest(_encode((name, value) for name, value in values if name not in IDENTIFYING))
    identity = kept_identity or identity_digest(values)
    return _link(prev_hash, seq, f"{staying}:{identity}".encode())


def _link(prev_hash: str, seq: int, data: bytes) -> str:
    digest = hashlib.sha256(f"{prev_hash}\n{seq}\n".encode())
    digest.update(data)
    return digest.hexdigest()


def link_hash(prev_hash: str, seq: int, record: AuditRecord, *, digests_from: int = 1) -> str:
    """sha256 over the previous hash, the position and the record (its digest from
    ``digests_from`` on): a link moved, removed or changed no longer matches."""
    values = [(name, getattr(record, name)) for name in COLUMNS]
    return _chained(prev_hash, seq, values, digests_from)


def seal(
    session: Session,
    *,
    now: datetime | None = None,
    window: timedelta = WINDOW,
    limit: int = 10_000,
) -> int:
    """Append committed, unsealed records to the chain; return how many. The caller commits.

    Records are inserted just before their transaction commits, so one still unsealed is
    never older than ``window`` before the head's record: only that stretch is scanned. The
    lock serialises sealers; unique ``seq`` and ``record_number`` make a fork impossible even
    without it. Plain rows in and one INSERT out: no ORM objects, which cost several times
    the hashing.
    """
    _lock(session)
    from_seq = digests_from(session)
    head = _head(session)
    seq, prev_hash, head_ended_at = head or (0, GENESIS, None)
    since = head_ended_at - window if head_ended_at else None
    sealed_at = now or utcnow()
    links: list[dict[str, Any]] = []
    for values in _unsealed(session, since=since, limit=limit):
        seq += 1
        link = _chained(prev_hash, seq, list(zip(COLUMNS, values, strict=True)), from_seq)
        links.append(
            {
                "seq": seq,
                "record_number": values[NUMBER_AT],
                "prev_hash": prev_hash,
                "hash": link,
                "sealed_at": sealed_at,
            }
        )
        prev_hash = link
    if links:
        insert_many(session, SEALS, links)
    return len(links)


@dataclass(frozen=True)
class Verification:
    """What walking the chain found; on failure, the first entry that does not hold."""

    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None
    first_bad_record: int | None
    reason: str | None
    unsealed: int


def verify(session: Session, *, anchor: tuple[int, str] | None = None) -> Verification:
    """Walk the chain in ``seq`` order and recompute every link.

    A gap is a removed entry; a ``prev_hash`` that differs from the previous hash is a moved
    or inserted one; a hash that differs from the recomputed one is a changed record or seal.
    Removing entries from the end leaves a valid chain: ``anchor``, a ``(seq, hash)`` noted
    earlier elsewhere, catches that. Records not (yet) in the chain are counted, not errors.
    """
    head = _head(session)
    head_seq, head_hash = (head[0], head[1]) if head else (None, None)
    unsealed = _count_unsealed(session)
    from_seq = digests_from(session)
    checked = 0

    def broken(seq: int, record: int | None, reason: str) -> Verification:
        return Verification(False, checked, head_seq, head_hash, seq, record, reason, unsealed)

    expected, prev_hash = 1, GENESIS
    with _links(session) as links:
        for seq, record_number, link_prev, link, kept_identity, *values in links:
            if seq > expected:
                return broken(expected, None, f"seq {expected} is missing (next is {seq})")
            if seq < expected:
                return broken(seq, record_number, f"seq {seq} is out of order")
            if link_prev != prev_hash:
                return broken(seq, record_number, f"prev_hash differs from seq {seq - 1}'s hash")
            record = dict(zip(COLUMNS, values, strict=True))
            if record["number"] is None:
                return broken(seq, record_number, f"record {record_number} is missing")
            if link != _chained(link_prev, seq, list(record.items()), from_seq, kept_identity):
                return broken(seq, record_number, f"hash does not match record {record_number}")
            if anchor is not None and seq == anchor[0] and link != anchor[1]:
                return broken(seq, record_number, "hash differs from the anchor")
            expected, prev_hash = seq + 1, link
            checked += 1
    if anchor is not None and anchor[0] >= expected:
        return broken(expected, None, f"the chain ends before the anchor at seq {anchor[0]}")
    return Verification(True, checked, head_seq, head_hash, None, None, None, unsealed)


# --- queries ------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    """Serialise sealers until the caller's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})
    else:
        # SQLite has one writer: a write that changes nothing takes the lock now, as BEGIN
        # IMMEDIATE would, so the head read next cannot go stale.
        session.execute(text("INSERT INTO audit_chain SELECT * FROM audit_chain WHERE 0"))


def digests_from(session: Session) -> int:
    """The first ``seq`` whose link hashes the record's digest (migration 0021 noted it)."""
    found = session.scalar(select(func.min(col(AuditChainFormat.digests_from))))
    return 1 if found is None else int(found)


def _head(session: Session) -> tuple[int, str, datetime | None] | None:
    """The last link: its seq, hash, and its record's ``ended_at`` (None if it is gone)."""
    statement = (
        select(col(AuditSeal.seq), col(AuditSeal.hash), col(AuditRecord.ended_at))
        .outerjoin(AuditRecord, col(AuditRecord.number) == col(AuditSeal.record_number))
        .order_by(col(AuditSeal.seq).desc())
        .limit(1)
    )
    row = session.execute(statement).first()
    return None if row is None else (row[0], row[1], row[2])


def _unsealed(session: Session, *, since: datetime | None, limit: int) -> Sequence[Row[Any]]:
    """Each unsealed record's ``COLUMNS``, in chain order, as the database holds them."""
    record = inspect(AuditRecord).columns
    statement = (
        select(*(record[name] for name in COLUMNS))
        .outerjoin(AuditSeal, col(AuditSeal.record_number) == col(AuditRecord.number))
        .where(col(AuditSeal.seq).is_(None))
    )
    if since is not None:
        statement = statement.where(col(AuditRecord.ended_at) >= since)
    statement = statement.order_by(col(AuditRecord.ended_at), col(AuditRecord.number))
    return session.execute(statement.limit(limit)).all()


def backlog(session: Session, *, window: timedelta = WINDOW) -> tuple[int, datetime | None]:
    """How many committed records wait for the sealer, and the oldest one's ``ended_at``.

    Only the stretch ``seal`` scans (``window`` before the head's record) is counted, on the
    ``ended_at`` index: a scrape never walks the whole log.
    """
    head = _head(session)
    since = head[2] - window if head is not None and head[2] is not None else None
    statement = (
        select(func.count(), func.min(col(AuditRecord.ended_at)))
        .select_from(AuditRecord)
        .outerjoin(AuditSeal, col(AuditSeal.record_number) == col(AuditRecord.number))
        .where(col(AuditSeal.seq).is_(None))
    )
    if since is not None:
        statement = statement.where(col(AuditRecord.ended_at) >= since)
    count, oldest = session.execute(statement).one()
    return count, oldest


def _count_unsealed(session: Session) -> int:
    statement = (
        select(func.count())
        .select_from(AuditRecord)
        .outerjoin(AuditSeal, col(AuditSeal.record_number) == col(AuditRecord.number))
        .where(col(AuditSeal.seq).is_(None))
    )
    return session.scalar(statement) or 0


@contextmanager
def _links(session: Session) -> Iterator[Iterator[Any]]:
    """The chain in order, each link followed by its record's ``COLUMNS`` (NULLs when the
    record is gone), streamed in batches. Plain rows: no objects, no identity map."""
    record = inspect(AuditRecord).columns
    kept = (
        select(
            col(AuditErasure.record_number).label("record_number"),
            func.max(col(AuditErasure.digest)).label("digest"),
        )
        .group_by(col(AuditErasure.record_number))
        .subquery("kept")
    )
    statement = (
        select(
            col(AuditSeal.seq),
            col(AuditSeal.record_number),
            col(AuditSeal.prev_hash),
            col(AuditSeal.hash),
            kept.c.digest,
            *(record[name] for name in COLUMNS),
        )
        .outerjoin(AuditRecord, col(AuditRecord.number) == col(AuditSeal.record_number))
        .outerjoin(kept, kept.c.record_number == col(AuditSeal.record_number))
        .order_by(col(AuditSeal.seq))
        .execution_options(yield_per=1000)
    )
    result = session.execute(statement)
    try:
        yield iter(result)
    finally:
        result.close()


def grant_append_only(session: Session, role: str) -> list[str]:
    """Give the application's login role what it needs, and on the audit tables no more than
    SELECT and INSERT; return the statements run. PostgreSQL only.

    Refused for a superuser or a member of the tables' owner: they could disable the
    triggers or grant themselves the rest, whatever is granted here.
    """
    found = session.execute(
        text(
            "SELECT r.rolsuper, pg_has_role(r.oid, t.tableowner, 'MEMBER') "
            "FROM pg_roles r, pg_tables t WHERE r.rolname = :role "
            "AND t.schemaname = current_schema() AND t.tablename = 'audit_records'"
        ),
        {"role": role},
    ).first()
    if found is None:
        raise ValueError(f"no role {role!r}, or no audit_records table in the current schema")
    if found[0] or found[1]:
        raise ValueError(f"{role!r} is a superuser or owns the tables; use a role of its own")
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    schema = str(session.scalar(text("SELECT current_schema()")))
    statements = [f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}"]
    for table in sorted(inspect(connection).get_table_names(schema=schema)):
        if table in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        elif table == "alembic_version":
            privileges = "SELECT"  # migrations run as the owner, not as the application
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements += [
            f"REVOKE ALL ON TABLE {quote(table)} FROM {grantee}",
            f"GRANT {privileges} ON TABLE {quote(table)} TO {grantee}",
        ]
    statements.append(
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {grantee}"
    )
    for statement in statements:
        session.execute(text(statement))
    for table in sorted(APPEND_ONLY):
        # Rights held through PUBLIC or another role survive the REVOKE above.
        if session.scalar(
            text("SELECT has_table_privilege(:role, :table, 'UPDATE, DELETE, TRUNCATE')"),
            {"role": role, "table": f"{quote(schema)}.{quote(table)}"},
        ):
            raise ValueError(f"{role!r} may still change {table} through PUBLIC or another role")
    return statements
