"""SQLite writers take fair, sleep-free turns at the write lock (decision 0039).

Without them each waiter sleeps in SQLite's busy handler (up to 100 ms a try) and can lose
to newcomers for seconds; with them every writer waits about as long as the writers that
came before it hold the lock.
"""

import multiprocessing
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from gezinsplan import db
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import WRITE_OPTION, make_engine
from gezinsplan.kit.write_turns import WriteTurns
from gezinsplan.main import create_app
from tests.conftest import alembic_config

# Like the bench: two server processes, eight requests at a time.
PROCESSES = 2
THREADS = 4
TRANSACTIONS = 60
HOLD_S = 0.005
# Far below the busy timeout (5 s): a fair queue of 8 writers holding 5 ms each waits about
# 40 ms (the longest seen: 0.11 s). SQLite's busy handler alone let it reach 1.4-2.9 s.
BOUND_S = 0.8


def _write(
    url: str,
    name: str,
    start: threading.Barrier,
    results: "multiprocessing.Queue[list[float]]",
) -> None:
    """A process of writers: each thread commits its transactions and notes every wait."""
    engine = make_engine(url, pool_size=THREADS)
    waits: list[float] = []
    start.wait(60)  # every process imported and ready: the writers start together

    def writer(thread: int) -> None:
        for n in range(TRANSACTIONS):
            asked = time.perf_counter()
            with (
                engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
                connection.begin(),
            ):
                waits.append(time.perf_counter() - asked)
                connection.execute(
                    text("INSERT INTO writes (writer) VALUES (:w)"), {"w": f"{name}-{thread}-{n}"}
                )
                time.sleep(HOLD_S)  # the work a request does while it holds the lock

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    results.put(waits)


def _database(tmp_path: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE writes (writer TEXT PRIMARY KEY)"))
    return url, engine


def test_writers_in_several_processes_all_commit_and_none_waits_long(tmp_path: Path) -> None:
    url, engine = _database(tmp_path)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[list[float]] = context.Queue()
    start = context.Barrier(PROCESSES)
    processes = [
        context.Process(target=_write, args=(url, f"p{p}", start, results))
        for p in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    waits = [wait for _ in processes for wait in results.get(timeout=120)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    with engine.connect() as connection:
        written = connection.execute(text("SELECT count(*) FROM writes")).scalar_one()
    engine.dispose()
    assert written == PROCESSES * THREADS * TRANSACTIONS
    assert len(waits) == written
    assert max(waits) < BOUND_S, f"the longest wait for the write lock: {max(waits):.3f} s"


def test_threads_get_their_turns_in_the_order_they_asked(tmp_path: Path) -> None:
    turns = WriteTurns(tmp_path / "lock", timeout=5)
    first = turns.take()
    assert first is not None
    order: list[int] = []

    def ask(n: int) -> None:
        turn = turns.take()
        assert turn is not None
        order.append(n)
        turn.release()

    threads = []
    for n in range(8):
        thread = threading.Thread(target=ask, args=(n,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 5
        while len(turns._waiting) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    first.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(8))


def test_a_turn_that_does_not_come_in_time_is_refused_and_nothing_stays_locked(
    tmp_path: Path,
) -> None:
    # Two sets of turns on one file stand for two processes: flock belongs to the open file.
    elsewhere = WriteTurns(tmp_path / "lock", timeout=5)
    here = WriteTurns(tmp_path / "lock", timeout=0.2)
    held = elsewhere.take()
    assert held is not None
    asked = time.monotonic()
    assert here.take() is None
    assert 0.2 <= time.monotonic() - asked < 2
    held.release()
    # The wait given up lets go of the file as soon as it gets it; this process's queue is free.
    again = here.take()
    assert again is not None
    again.release()
    assert elsewhere.take() is not None


def test_a_writer_past_the_busy_timeout_gets_database_is_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The error errors.py answers with 503 problem+json, as SQLite's own busy timeout gives.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    _, engine = _database(tmp_path)
    held = WriteTurns(tmp_path / "turns.db-writelock", timeout=5).take()
    assert held is not None
    try:
        with (
            pytest.raises(OperationalError, match="database is locked"),
            engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            pass
    finally:
        held.release()
    # Reads that do not write take no turn; the next writer gets its turn again.
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT count(*) FROM writes"))
    with (
        engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
        connection.begin(),
    ):
        connection.execute(text("INSERT INTO writes (writer) VALUES ('after')"))
    engine.dispose()


def _traced(engine: Engine, note: Any) -> None:
    """Every statement SQLite runs on the engine's connections goes to ``note``, those the
    service sends on the driver's own cursor included."""

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(note)

    event.listen(engine, "connect", trace)


def test_the_record_of_a_denied_read_is_written_in_a_turn_of_its_own(
    tmp_path: Path, settings: Settings
) -> None:
    # A deferred transaction would reach the lock through the busy handler: denied plan
    # reads were the slowest requests of the bench.
    url = f"sqlite:///{tmp_path / 'app.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    begins: list[str] = []
    noting = threading.Event()

    def note(statement: str) -> None:
        if noting.is_set() and statement.startswith("BEGIN"):
            begins.append(statement)

    _traced(engine, note)
    jwt = mint(settings, sub="w", name="W", roles=("toegang",), org=uuid.uuid4())
    with TestClient(create_app(settings, bind=engine)) as client:
        noting.set()
        answer = client.get(
            f"/api/v1/households/{uuid.uuid4()}/plan", headers={"Authorization": f"Bearer {jwt}"}
        )
        noting.clear()
    assert answer.status_code == 404
    # The reads' transaction, rolled back, then the failure record's, at the lock.
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    with engine.connect() as connection:
        denied = connection.execute(
            text("SELECT count(*) FROM audit_records WHERE status_code = 404")
        ).scalar_one()
    engine.dispose()
    assert denied == 1


def _opened(client: TestClient, settings: Settings) -> tuple[str, dict[str, str]]:
    """A household in Zwolle and the access team that reads its plan."""
    admin = {"Authorization": "Bearer " + mint(settings, sub="a", name="A", roles=("admin",))}
    jwt = mint(settings, sub="t", name="T", roles=("toegang",), municipalities=("0193",))
    toegang = {"Authorization": f"Bearer {jwt}"}
    body = {"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"}
    assert client.post("/api/v1/organizations", json=body, headers=admin).is_success
    opened = client.post(
        "/api/v1/households",
        json={"municipalityCode": "0193", "name": "X", "referralSource": "municipal_access"},
        headers=toegang,
    )
    assert opened.status_code == 201, opened.text
    return f"/api/v1/households/{opened.json()['id']}/plan", toegang


def test_a_read_waits_for_the_write_lock_only_to_write_its_record(
    tmp_path: Path, settings: Settings
) -> None:
    # Taking the lock for the whole request queued every read of both processes behind
    # each other's; now another writer holding it delays only the read's record.
    url = f"sqlite:///{tmp_path / 'app.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    begins: list[str] = []
    read, noting = threading.Event(), threading.Event()

    def note(statement: str) -> None:
        if not noting.is_set():
            return
        if statement.startswith("BEGIN"):
            begins.append(statement)
        elif statement.lstrip().startswith("SELECT") and "FROM plans" in statement:
            read.set()

    _traced(engine, note)
    with TestClient(create_app(settings, bind=engine)) as client:
        plan, toegang = _opened(client, settings)
        noting.set()
        answers: list[int] = []
        # Another process's engine on the same file: it holds the lock and its turn.
        elsewhere = make_engine(url)
        holder = elsewhere.connect().execution_options(**{WRITE_OPTION: True})
        with holder.begin():
            holder.execute(text("DELETE FROM idempotency_keys"))  # holds the write lock
            reader = threading.Thread(
                target=lambda: answers.append(client.get(plan, headers=toegang).status_code)
            )
            reader.start()
            assert read.wait(5), "the plan was not read while another writer held the lock"
            assert not answers, "the answer came before its audit record could be written"
        holder.close()
        elsewhere.dispose()
        reader.join(10)
        noting.clear()
    assert answers == [200]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT count(*) FROM audit_records WHERE status_code = 200 AND method = 'GET'")
        ).scalar_one()
    engine.dispose()
    assert audited == 1
