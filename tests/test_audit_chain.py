"""The audit chain: sealing, verifying, and finding every kind of tampering at its place.

The tamper test builds a chain once and then, a thousand times, reaches behind the
application's back (triggers disabled inside a savepoint), changes one thing, and checks
that ``verify`` names the first entry that no longer holds, before rolling it back.
"""

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, Uuid, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from gezinsplan.audit.chain import GENESIS, canonical, link_hash, seal, verify
from gezinsplan.audit.models import AuditRecord, AuditSeal
from gezinsplan.audit.sealer import ROUND, Sealer
from gezinsplan.db import make_engine, make_session_factory
from gezinsplan.models import metadata
from tests.conftest import alembic_config

records = metadata.tables["audit_records"]
seals = metadata.tables["audit_chain"]
T0 = datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=UTC)
CONTENT = [column.name for column in records.columns if column.name != "number"]


def audit_record(n: int, ended_at: datetime, rng: random.Random | None = None) -> AuditRecord:
    """A plausible record; ``rng`` varies the optional fields so a chain is not uniform."""
    rng = rng or random.Random(n)
    maybe = rng.random() < 0.5
    return AuditRecord(
        started_at=ended_at - timedelta(microseconds=rng.randrange(1, 900_000)),
        ended_at=ended_at,
        action=rng.choice(["read", "create", "update"]),
        outcome=rng.choice(["success", "denied"]),
        status_code=rng.choice([200, 201, 404]),
        actor_sub=f"sub-{n}",
        actor_name="Sanne de Vries" if maybe else None,
        actor_organization_id=uuid.UUID(int=rng.getrandbits(128)),
        actor_roles="toegang",
        purpose="begeleiding" if maybe else None,
        legal_basis="municipal_task",
        legal_basis_id=uuid.UUID(int=rng.getrandbits(128)) if maybe else None,
        household_id=uuid.UUID(int=rng.getrandbits(128)),
        member_ids="" if maybe else str(uuid.UUID(int=rng.getrandbits(128))),
        method="GET",
        resource="/households/{household_id}",
        resource_id=None if maybe else str(n),
        request_id=f"request-{n}",
        traceparent=None,
        client_address="192.0.2.7",
    )


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        yield session


def add_records(session: Session, count: int, start: datetime = T0) -> list[AuditRecord]:
    added = [audit_record(n, start + timedelta(seconds=n / 10)) for n in range(count)]
    session.add_all(added)
    session.flush()
    return added


def chain(connection: Connection) -> list[Any]:
    return list(connection.execute(select(seals).order_by(seals.c.seq)))


def check(connection: Connection, **options: Any) -> Any:
    """``verify`` in a session of its own, so nothing it holds in memory hides a change."""
    factory = make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        return verify(session, **options)


# --- hashing --------------------------------------------------------------------------------


def test_canonical_bytes_are_the_same_on_both_engines(session: Session) -> None:
    record = audit_record(1, T0)
    record.number = 987_654
    session.add(record)
    session.flush()
    stored = session.scalars(
        select(AuditRecord)
        .where(col(AuditRecord.number) == 987_654)
        .execution_options(populate_existing=True)
    ).one()
    data = canonical(stored)
    assert data == canonical(record)
    assert b'"ended_at":"2026-11-23T09:30:00.123456+00:00"' in data
    assert b'"number":987654' in data
    assert b'"traceparent":null' in data
    # The same bytes on SQLite and PostgreSQL: one constant for both engines.
    assert hashlib.sha256(data).hexdigest() == (
        "72a15e8c1fc0dca8d81db8709cc531d50a6f03b4452d585df2bc4420db15a0fa"
    )


def test_canonical_normalises_the_time_zone() -> None:
    record = audit_record(1, T0)
    record.number = 1
    shifted = audit_record(1, T0)
    shifted.number = 1
    shifted.ended_at = T0.astimezone(timezone(timedelta(hours=1)))
    assert shifted.ended_at.hour == 10
    assert canonical(shifted) == canonical(record)
    assert link_hash(GENESIS, 1, shifted) == link_hash(GENESIS, 1, record)
    assert link_hash(GENESIS, 2, record) != link_hash(GENESIS, 1, record)


# --- sealing and verifying ------------------------------------------------------------------


def test_seal_chains_committed_records_in_order_and_verify_holds(
    session: Session, connection: Connection
) -> None:
    empty = check(connection)
    assert (empty.ok, empty.checked, empty.head_seq, empty.head_hash) == (True, 0, None, None)

    added = add_records(session, 5)
    before = check(connection)
    assert (before.ok, before.checked, before.unsealed) == (True, 0, 5)

    sealed_at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert seal(session, now=sealed_at) == 5
    assert seal(session) == 0
    links = chain(connection)
    assert [link.seq for link in links] == [1, 2, 3, 4, 5]
    assert [link.record_number for link in links] == [record.number for record in added]
    assert links[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(links))
    assert all(link.sealed_at == sealed_at for link in links)
    assert links[2].hash == link_hash(links[1].hash, 3, added[2])

    more = add_records(session, 3, start=T0 + timedelta(seconds=5))
    assert seal(session) == 3
    result = check(connection)
    assert result.ok, result
    assert (result.checked, result.head_seq, result.unsealed) == (8, 8, 0)
    assert result.head_hash == chain(connection)[-1].hash
    assert chain(connection)[-1].record_number == more[-1].number
    assert check(connection, anchor=(5, links[4].hash)).ok
    assert check(connection, anchor=(0, GENESIS)).ok


def test_seal_orders_by_end_time_and_respects_the_limit(session: Session) -> None:
    late = audit_record(1, T0 + timedelta(seconds=2))
    early = audit_record(2, T0)
    session.add_all([late, early])
    session.flush()
    assert seal(session, limit=1) == 1
    assert seal(session, limit=1) == 1
    statement = select(col(AuditSeal.record_number)).order_by(col(AuditSeal.seq))
    order = session.scalars(statement).all()
    assert order == [early.number, late.number]


def test_a_record_older_than_the_window_stays_unsealed_and_is_counted(
    session: Session, connection: Connection
) -> None:
    add_records(session, 3, start=T0)
    assert seal(session) == 3
    head_end = T0 + timedelta(seconds=0.2)
    straggler = audit_record(10, head_end - timedelta(seconds=90))
    within = audit_record(11, head_end - timedelta(seconds=30))
    session.add_all([straggler, within])
    session.flush()

    assert seal(session) == 1
    result = check(connection)
    assert (result.ok, result.checked, result.unsealed) == (True, 4, 1)
    assert chain(connection)[-1].record_number == within.number

    assert seal(session, window=timedelta(minutes=5)) == 1
    assert check(connection).unsealed == 0


# --- the database refuses changes -----------------------------------------------------------


def refused(connection: Connection, statement: Any) -> bool:
    savepoint = connection.begin_nested()
    try:
        connection.execute(statement)
    except IntegrityError as error:
        savepoint.rollback()
        return "append-only" in str(error)
    savepoint.rollback()
    return False


def test_triggers_keep_both_tables_append_only(
    session: Session, connection: Connection, engine_name: str
) -> None:
    add_records(session, 2)
    seal(session)
    assert refused(connection, update(records).values(status_code=500))
    assert refused(connection, update(seals).values(hash=GENESIS))
    assert refused(connection, delete(seals))
    assert refused(connection, delete(records))
    if engine_name == "postgresql":
        assert refused(connection, text("TRUNCATE audit_chain"))
        assert refused(connection, text("TRUNCATE audit_records CASCADE"))
    # Inserting stays possible: that is all the application does.
    add_records(session, 1)
    assert seal(session) == 1


# --- tampering ------------------------------------------------------------------------------


def without_triggers(connection: Connection, engine_name: str) -> None:
    """Behind the application's back, inside the caller's savepoint."""
    if engine_name == "postgresql":
        for table in ("audit_records", "audit_chain"):
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        return
    for table in ("audit_records", "audit_chain"):
        for operation in ("update", "delete"):
            connection.execute(text(f"DROP TRIGGER {table}_no_{operation}"))


@dataclass
class Chain:
    """The chain as built: ``links[seq - 1]`` is the entry at ``seq``."""

    links: list[Any]

    @property
    def length(self) -> int:
        return len(self.links)

    def record_of(self, seq: int) -> int:
        return int(self.links[seq - 1].record_number)


def changed(value: Any, column: Any, rng: random.Random) -> Any:
    """A different value of the column's type: small changes are the hard ones to see."""
    if value is None:  # the nullable columns are text and UUIDs
        return uuid.uuid4() if isinstance(column.type, Uuid) else "x"
    if isinstance(value, datetime):
        return value + timedelta(microseconds=rng.choice([1, -1, 1_000_000]))
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=value.int ^ 1)
    if isinstance(value, int):
        return value + rng.choice([1, -1])
    if column.nullable and rng.random() < 0.2:
        return None
    return value + "x" if not value or rng.random() < 0.5 else value[:-1]


def tamper_record_field(connection: Connection, built: Chain, rng: random.Random) -> int:
    seq = rng.randint(1, built.length)
    number = built.record_of(seq)
    name = rng.choice(CONTENT)
    value = connection.scalar(select(records.c[name]).where(records.c.number == number))
    new = changed(value, records.c[name], rng)
    connection.execute(update(records).where(records.c.number == number).values({name: new}))
    return seq


def tamper_seal_hash(connection: Connection, built: Chain, rng: random.Random) -> int:
    seq = rng.randint(1, built.length)
    column = rng.choice(["hash", "prev_hash"])
    forged = hashlib.sha256(rng.randbytes(8)).hexdigest()
    connection.execute(update(seals).where(seals.c.seq == seq).values({column: forged}))
    return seq


def tamper_delete_record_and_seal(connection: Connection, built: Chain, rng: random.Random) -> int:
    seq = rng.randint(1, built.length - 1)  # the last one: only an anchor sees that
    connection.execute(delete(seals).where(seals.c.seq == seq))
    connection.execute(delete(records).where(records.c.number == built.record_of(seq)))
    return seq


def tamper_delete_seal(connection: Connection, built: Chain, rng: random.Random) -> int:
    seq = rng.randint(1, built.length - 1)
    connection.execute(delete(seals).where(seals.c.seq == seq))
    return seq


def tamper_swap_seqs(connection: Connection, built: Chain, rng: random.Random) -> int:
    first, second = sorted(rng.sample(range(1, built.length + 1), 2))
    for old, new in ((first, -1), (second, first), (-1, second)):
        connection.execute(update(seals).where(seals.c.seq == old).values(seq=new))
    return first


def tamper_swap_records(connection: Connection, built: Chain, rng: random.Random) -> int:
    first, second = sorted(rng.sample(range(1, built.length + 1), 2))
    numbers = built.record_of(first), built.record_of(second)
    rows = {
        row.number: row
        for row in connection.execute(select(records).where(records.c.number.in_(numbers)))
    }
    for this, other in (numbers, reversed(numbers)):
        values = {name: getattr(rows[other], name) for name in CONTENT}
        connection.execute(update(records).where(records.c.number == this).values(values))
    return first


def tamper_insert_forged(connection: Connection, built: Chain, rng: random.Random) -> int:
    """A careful forger: the new entry at ``seq`` is a valid link after ``seq - 1``.

    What breaks is the entry pushed to ``seq + 1``: it still names ``seq - 1``'s hash, and
    the forger cannot fix that without rehashing the whole rest of the chain.
    """
    seq = rng.randint(1, built.length)
    prev_hash = built.links[seq - 2].hash if seq > 1 else GENESIS
    forged = audit_record(10_000 + rng.randrange(1000), T0 + timedelta(seconds=seq / 10 - 0.05))
    values = {name: getattr(forged, name) for name in CONTENT}
    forged.number = connection.scalar(insert(records).values(values).returning(records.c.number))
    connection.execute(update(seals).where(seals.c.seq >= seq).values(seq=-seals.c.seq))
    connection.execute(update(seals).where(seals.c.seq < 0).values(seq=1 - seals.c.seq))
    connection.execute(
        insert(seals).values(
            seq=seq,
            record_number=forged.number,
            prev_hash=prev_hash,
            hash=link_hash(prev_hash, seq, forged),
            sealed_at=T0,
        )
    )
    return seq + 1


Tampering = Callable[[Connection, Chain, random.Random], int]
TAMPERINGS: dict[str, Tampering] = {
    "record_field": tamper_record_field,
    "seal_hash": tamper_seal_hash,
    "delete_record_and_seal": tamper_delete_record_and_seal,
    "delete_seal": tamper_delete_seal,
    "swap_seqs": tamper_swap_seqs,
    "swap_records": tamper_swap_records,
    "insert_forged": tamper_insert_forged,
}


@pytest.fixture
def built(session: Session, connection: Connection) -> Chain:
    add_records(session, 60)
    assert seal(session) == 60
    assert check(connection).ok
    return Chain(chain(connection))


@pytest.mark.parametrize("kind", TAMPERINGS)
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_verify_names_the_first_bad_entry(
    connection: Connection, engine_name: str, built: Chain, kind: str, position: str
) -> None:
    """Each kind at the start, the middle and the end, where the random test may not reach."""

    class Edge(random.Random):
        def randint(self, a: int, b: int) -> int:
            return {"first": a, "middle": (a + b) // 2, "last": b}[position]

        def sample(self, population: Any, k: int, **_: Any) -> list[Any]:
            items = list(population)
            return {"first": items[:k], "middle": items[20 : 20 + k], "last": items[-k:]}[position]

    without_triggers(connection, engine_name)
    expected = TAMPERINGS[kind](connection, built, Edge(7))
    result = check(connection)
    assert not result.ok
    assert result.first_bad_seq == expected, result
    assert result.reason
    assert result.checked == expected - 1


def test_a_thousand_random_tamperings_are_each_found_at_their_place(
    connection: Connection, engine_name: str, built: Chain
) -> None:
    rng = random.Random(20261123)
    found: dict[str, int] = dict.fromkeys(TAMPERINGS, 0)
    started = time.perf_counter()
    for iteration in range(1000):
        kind = rng.choice(list(TAMPERINGS))
        savepoint = connection.begin_nested()
        without_triggers(connection, engine_name)
        expected = TAMPERINGS[kind](connection, built, rng)
        result = check(connection)
        savepoint.rollback()
        assert not result.ok, (iteration, kind, expected)
        assert result.first_bad_seq == expected, (iteration, kind, result)
        found[kind] += 1
    elapsed = time.perf_counter() - started
    assert check(connection).ok  # every savepoint rolled back
    print(
        f"\ntamper ({engine_name}): {sum(found.values())} tamperings, "
        f"{sum(found.values())} detected at the right place in {elapsed:.1f} s; "
        + ", ".join(f"{kind} {n}" for kind, n in found.items())
    )


def test_an_anchor_catches_a_cut_off_end(
    session: Session, connection: Connection, engine_name: str, built: Chain
) -> None:
    head = check(connection)
    anchor = (head.head_seq, head.head_hash)
    assert check(connection, anchor=anchor).ok

    savepoint = connection.begin_nested()
    without_triggers(connection, engine_name)
    cut = [link for link in built.links if link.seq > 55]
    connection.execute(delete(seals).where(seals.c.seq > 55))
    connection.execute(delete(records).where(records.c.number.in_(r.record_number for r in cut)))
    # Without the anchor a shorter chain is a valid chain.
    assert check(connection).ok
    result = check(connection, anchor=anchor)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 56, 55), result
    assert "anchor" in (result.reason or "")
    savepoint.rollback()

    # A rewritten end with valid links reaches the anchor's seq with another hash.
    savepoint = connection.begin_nested()
    without_triggers(connection, engine_name)
    connection.execute(delete(seals).where(seals.c.seq == 60))
    connection.execute(delete(records).where(records.c.number == built.record_of(60)))
    add_records(session, 1, start=T0 + timedelta(seconds=30))
    assert seal(session) == 1
    assert check(connection).ok
    result = check(connection, anchor=anchor)
    assert (result.ok, result.first_bad_seq) == (False, 60), result
    savepoint.rollback()


# --- the background sealer ------------------------------------------------------------------


@pytest.fixture
def committed_engine(engine_name: str, create_database: Callable[[str], str]) -> Iterator[Engine]:
    """A database of its own where commits are real: the sealer has its own connections."""
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_sealer_seals_on_notify_survives_errors_and_seals_on_stop(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    factory = make_session_factory(committed_engine)

    def commit_records(count: int) -> None:
        with factory.begin() as session:
            add_records(session, count, start=datetime.now(UTC))

    def sealed() -> int:
        with factory() as session:
            return verify(session).checked

    failures = iter([RuntimeError("database went away")])
    real_seal = seal

    def flaky_seal(session: Session, **options: Any) -> int:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_seal(session, **options)

    monkeypatch.setattr("gezinsplan.audit.sealer.seal", flaky_seal)
    sealer = Sealer(factory, interval=60)  # only notify and stop make it seal here
    sealer.start()
    try:
        with caplog.at_level(logging.ERROR, logger="gezinsplan.audit.sealer"):
            commit_records(3)
            sealer.notify()
            wait_until(lambda: "database went away" in caplog.text)
        sealer.notify()  # the thread is still there and tries again
        wait_until(lambda: sealed() == 3)
        commit_records(2)
    finally:
        sealer.stop()
    with factory() as session:
        result = verify(session)
    assert (result.ok, result.checked, result.unsealed) == (True, 5, 0)


def test_a_backlog_is_sealed_in_rounds_of_bounded_length(committed_engine: Engine) -> None:
    # One transaction sealing it all held the chain's lock (and SQLite's write lock) for
    # seconds of hashing after a start on old records, while requests waited.
    factory = make_session_factory(committed_engine)
    with factory.begin() as session:
        add_records(session, 2 * ROUND + 7, start=datetime.now(UTC))
    assert Sealer(factory).seal_backlog() == 2 * ROUND + 7
    with committed_engine.connect() as connection:
        rounds = connection.execute(
            select(func.count()).select_from(seals).group_by(seals.c.sealed_at)
        ).scalars()
        assert sorted(rounds) == [7, ROUND, ROUND]
    with factory() as session:
        result = verify(session)
    assert (result.ok, result.checked, result.unsealed) == (True, 2 * ROUND + 7, 0)
