"""The audit chain under real concurrency (PostgreSQL, real commits, no rollback wrapper).

Eight writers commit records one transaction at a time, some of them holding their
transaction open a moment after the record's ``ended_at``, so records commit out of time
order. Two sealers seal in a loop at the same time. Afterwards every record is in the chain
exactly once, ``seq`` runs 1..N without a gap, no two entries share a ``prev_hash`` (a fork),
and the chain verifies.
"""

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, func, select
from sqlmodel import col

from gezinsplan.audit.chain import seal, verify
from gezinsplan.audit.models import AuditRecord, AuditSeal
from gezinsplan.db import make_engine, make_session_factory
from tests.conftest import alembic_config
from tests.test_audit_chain import audit_record

WRITERS = 8
SEALERS = 2
PER_WRITER = 250


@pytest.fixture
def live_engine(create_database: Callable[[str], str]) -> Iterator[Engine]:
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, pool_size=WRITERS + SEALERS + 2, max_overflow=2)
    yield engine
    engine.dispose()


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_concurrent_writers_and_sealers_leave_one_chain_without_forks_or_gaps(
    engine_name: str, live_engine: Engine
) -> None:
    factory = make_session_factory(live_engine)
    start = threading.Barrier(WRITERS + SEALERS, timeout=30)
    writing = threading.Event()
    writing.set()
    errors: list[BaseException] = []
    rounds: list[int] = []

    def write(writer: int) -> None:
        rng = random.Random(writer)
        try:
            start.wait()
            for n in range(PER_WRITER):
                with factory.begin() as session:
                    session.add(audit_record(writer * PER_WRITER + n, datetime.now(UTC), rng))
                    session.flush()
                    if rng.random() < 0.1:  # commit late: after records that ended later
                        time.sleep(rng.random() / 200)
        except BaseException as error:
            errors.append(error)

    def run_sealer() -> None:
        done = 0
        try:
            start.wait()
            while writing.is_set():
                with factory.begin() as session:
                    seal(session)
                done += 1
        except BaseException as error:
            errors.append(error)
        rounds.append(done)

    sealers = [threading.Thread(target=run_sealer) for _ in range(SEALERS)]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in sealers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    for thread in sealers:
        thread.join()
    assert not errors, errors

    with factory.begin() as session:
        seal(session)
    with factory() as session:
        records = session.scalar(select(func.count()).select_from(AuditRecord))
        links = session.scalar(select(func.count()).select_from(AuditSeal))
        sealed_records = session.scalar(select(func.count(col(AuditSeal.record_number).distinct())))
        prev_hashes = session.scalar(select(func.count(col(AuditSeal.prev_hash).distinct())))
        seqs = set(session.scalars(select(col(AuditSeal.seq))))
        result = verify(session)

    total = WRITERS * PER_WRITER
    forks = total - (prev_hashes or 0)
    gaps = len(set(range(1, total + 1)) - seqs)
    assert records == links == sealed_records == total
    assert seqs == set(range(1, total + 1))
    assert (forks, gaps) == (0, 0)
    assert result.ok, result
    assert (result.checked, result.unsealed) == (total, 0)
    assert all(rounds), rounds  # both sealers really ran while the writers wrote
    print(
        f"\naudit chain under concurrency: {total} records, {WRITERS} writers, "
        f"{SEALERS} sealers ({' + '.join(map(str, rounds))} rounds), {forks} forks, {gaps} gaps"
    )
