"""The engine, the metadata's naming convention, and one transaction per request."""

import logging
import select
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from psycopg import _queries as psycopg_queries
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from gezinsplan.audit import repository as audit_records
from gezinsplan.audit import trail
from gezinsplan.config import Settings
from gezinsplan.errors import AuditUnavailable
from gezinsplan.kit import read_retry
from gezinsplan.kit.write_turns import Turn, WriteTurns

SessionFactory = sessionmaker[Session]
Waiting = Callable[[], AbstractContextManager[None]]
T = TypeVar("T")
log = logging.getLogger(__name__)
# How long a writer waits for SQLite's write lock before it answers 503.
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions lazily and ignores SAVEPOINT semantics; hand transaction
    # control to SQLAlchemy (see the SQLAlchemy pysqlite docs) and switch foreign keys on.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still never corrupts the database and loses no commit when the
    # process dies; only a power cut may undo the last commits, each with its audit record.
    # FULL would fsync on every request, reads included, since every read is audited.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


WRITE_OPTION = "gezinsplan_write"
# The longest statement whose parsing psycopg keeps (``_parse_long_statements_once``).
LONGEST_STATEMENT = 32_768
TURN_KEY = "gezinsplan_write_turn"
# The write turns of each SQLite engine, for the records written on the driver.
_TURNS: WeakKeyDictionary[Engine, WriteTurns] = WeakKeyDictionary()


def _sqlite_begin(turns: WriteTurns, connection: Connection) -> None:
    # A deferred transaction that has read cannot start writing once another has committed
    # ("database is locked"); writes take the lock up front and wait their turn instead: in
    # order of arrival, woken when the lock is free (kit.write_turns), so SQLite's sleeping
    # busy handler is rarely reached. The turn is held until the connection goes back to the
    # pool, after its COMMIT or ROLLBACK.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    info = connection.connection.info
    if immediate and TURN_KEY not in info:
        info[TURN_KEY] = _take_turn(turns)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _take_turn(turns: WriteTurns) -> Turn:
    turn = turns.take()
    if turn is None:
        raise OperationalError(
            "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
        )
    return turn


def _sqlite_end_turn(_dbapi_connection: Any, record: Any) -> None:
    turn: Turn | None = record.info.pop(TURN_KEY, None)
    if turn is not None:
        turn.release()


def _sqlite_turns(url: str) -> WriteTurns:
    """The turns of one database file, locked through a file beside it; an in-memory or URI
    database gets turns within this process only (SQLite's busy handler between processes)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return WriteTurns(None, timeout=BUSY_TIMEOUT_MS / 1000)
    return WriteTurns(Path(database + "-writelock"), timeout=BUSY_TIMEOUT_MS / 1000)


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Swap a pooled connection the server has closed for a new one, without a round trip.

    A connection idle in the pool has nothing to read: when its socket is readable, the
    server has ended it (a restart, ``pg_terminate_backend``, an idle timeout) and said so
    before hanging up. The pool then connects anew before the request sends anything, so
    reads and writes alike go on as if nothing happened. ``pool_pre_ping`` found the same
    with a ``SELECT`` on every checkout, one more round trip per request.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the pooled connection is closed")
    poll = select.poll()
    poll.register(dbapi_connection.fileno(), select.POLLIN)
    if poll.poll(0):
        raise DisconnectionError("the server closed the pooled connection")


def make_engine(
    url: str,
    *,
    connect_timeout: int | None = None,
    statement_timeout_ms: int | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for SQLite (foreign keys on, real transactions) or PostgreSQL (psycopg 3).

    On PostgreSQL, ``connect_timeout`` bounds a new connection and ``statement_timeout_ms``
    every statement, so a database that is down or stuck answers 503 instead of hanging.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        turns = _TURNS[engine] = _sqlite_turns(url)
        event.listen(engine, "begin", partial(_sqlite_begin, turns))
        event.listen(engine, "checkin", _sqlite_end_turn)
        return engine
    connect_args: dict[str, Any] = {}
    if connect_timeout is not None:
        connect_args["connect_timeout"] = connect_timeout
    if statement_timeout_ms is not None:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    # A connection that drops while in use fails its statement with an OperationalError:
    # SQLAlchemy then invalidates the whole pool; a read runs again (kit.read_retry), a
    # write answers 503 (errors.py).
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "checkout", _replace_if_closed)
    _parse_long_statements_once()
    return engine


def _parse_long_statements_once() -> None:
    """psycopg parses a statement's placeholders once and keeps the result, but only for a
    statement up to 4 KiB; the plan read's main statement, its access rule in it twice, is
    5.5 KiB, and parsing it again on every read cost a twentieth of the read's CPU. Our
    statements are a fixed set, so the bounded cache stays small either way."""
    if getattr(psycopg_queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < LONGEST_STATEMENT:
        psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = LONGEST_STATEMENT


def service_engine(settings: Settings) -> Engine:
    """The engine of a long-running process (serve, worker): every wait on the database is
    bounded by the settings.

    The pool keeps every connection it opens. Overflow connections are closed when returned,
    so above the kept number each request paid a new PostgreSQL backend and cold prepared
    statements: at 16 concurrent plan reads on two workers that took the service from about
    460 to 290 requests a second."""
    return make_engine(
        settings.sqlalchemy_url,
        connect_timeout=settings.database_connect_timeout,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        pool_size=settings.database_pool_size,
        max_overflow=0,
        pool_timeout=settings.database_pool_timeout,
    )


def make_session_factory(bind: Engine | Connection, **kwargs: Any) -> SessionFactory:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **kwargs)


@contextmanager
def request_session(request: Request, *, reads_only: bool = False) -> Iterator[Session]:
    """One session and one transaction per request, committed before the response is sent.

    Handlers never commit: when the handler raises, everything it did is rolled back. The
    request's audit record goes into the same transaction; when the work fails, into one of
    its own after the rollback, or, on PostgreSQL when nothing was written, into the same
    one (``_commit_failure_in_place``). On SQLite the work of a request that ``reads_only``
    has a transaction of its own, and its audit record one after it (see below).
    """
    factory: SessionFactory = request.app.state.session_factory
    waiting: Waiting = request.app.state.connection_wait
    with factory() as session:
        trail.open_trail(session, request)
        bind = session.get_bind()
        # SQLite's engine when the reads come first and the record after them.
        reads_first = _sqlite_engine(session) if reads_only else None
        if isinstance(bind, Engine):
            # Every request on case data writes its audit record, reads included; on SQLite
            # a read transaction cannot become a writer once another has committed, so
            # each transaction takes the write lock up front (a no-op on PostgreSQL), but
            # that of reads only: those wait for nothing. The wait for a pooled connection
            # is counted (metrics).
            with waiting():
                session.connection(execution_options={WRITE_OPTION: reads_first is None})
        committing = False
        try:
            yield session
            if reads_first is not None:
                # The reads are done and nothing is sent before the record commits: it
                # alone holds the write lock, so the reads of the other process and of the
                # other threads go on meanwhile instead of queueing behind whole requests.
                session.commit()
                _commit_alone(reads_first, trail.success_records(session, request), waiting)
            else:
                trail.write_success(session, request)
                committing = True
                session.commit()
        except BaseException as exc:
            if committing or not _commit_failure_in_place(session, exc):
                session.rollback()
                # A read whose connection dropped before its commit runs again; only the
                # attempt that answers is audited.
                if committing or not read_retry.claim(request, exc):
                    _record_failure(session, exc, waiting)
            raise


def get_session(request: Request) -> Iterator[Session]:
    """``request_session`` as a dependency: FastAPI opens it in a worker thread and commits
    it in another."""
    with request_session(request) as session:
        yield session


async def in_one_hop(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work``, which only reads, in the request's session (``request_session``), in
    one worker thread.

    A route on the hot path depends on nothing that does I/O and does all its database work
    here: FastAPI would hand each synchronous dependency, the handler and its response's
    validation to a worker thread and back, and each hand-off costs the request CPU.
    """
    return await run_in_threadpool(_run, request, work)


def _run(request: Request, work: Callable[[Session], T]) -> T:
    with request_session(request, reads_only=True) as session:
        return work(session)


def _commit_failure_in_place(session: Session, exc: BaseException) -> bool:
    """On PostgreSQL, a request that failed before it wrote anything (a refusal, a 404, a
    precondition) commits its audit record in its own transaction; False when it wrote, or
    on SQLite, and the caller rolls back instead.

    A ROLLBACK makes psycopg deallocate every statement it prepared on the connection (it
    cannot tell that the transaction dropped nothing), so each refused request made the
    next ones on that connection parse and plan their statements anew. Work the handler
    left unflushed is discarded first, so only the audit record is committed.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    try:
        if not audit_records.wrote_nothing(session):
            return False
        session.expunge_all()
        trail.add_failure(session, exc)
        session.commit()
    except SQLAlchemyError:
        # The transaction failed or the connection is gone: the caller rolls back and
        # records the failure (or retries the read) as for any write.
        return False
    return True


def _record_failure(session: Session, exc: BaseException, waiting: Waiting) -> None:
    """Denied and failed attempts are audited too, in a transaction of their own.

    It writes, so on SQLite it waits its turn at the write lock as the request did: a
    deferred transaction would reach the lock through SQLite's sleeping busy handler, which
    made denied reads (a 404 plan read) the slowest requests under load (decision 0039).
    """
    current = trail.trail_of(session)
    if current is None or not current.audited:
        return
    sqlite = _sqlite_engine(session)
    if sqlite is not None:
        try:
            _commit_alone(sqlite, trail.failure_records(session, exc), waiting)
        except (OperationalError, AuditUnavailable) as error:
            log.warning(
                "the audit record of a failed request could not be written: %s",
                type(error.__cause__ or error).__name__,
            )
        return
    try:
        if isinstance(session.get_bind(), Engine):
            session.connection(execution_options={WRITE_OPTION: True})
        if trail.add_failure(session, exc):
            session.commit()
    except OperationalError as error:
        # The database is away (the request answers 503): one line, not a traceback each.
        session.rollback()
        log.warning(
            "the audit record of a failed request could not be written: %s",
            type(error).__name__,
        )
    except SQLAlchemyError:
        session.rollback()
        log.exception("the audit record of a failed request could not be written")


def _sqlite_engine(session: Session) -> Engine | None:
    """The session's engine when it is SQLite's with write turns (``make_engine``), not a
    connection or another engine a test binds it to."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) and bind in _TURNS else None


def _commit_alone(engine: Engine, rows: Sequence[dict[str, Any]], waiting: Waiting) -> None:
    """SQLite: a request's audit records in a write transaction of their own, after its own
    transaction ended, sent on the driver (``audit.repository.insert_on_driver``) while the
    turn at the write lock is held."""
    if not rows:
        return
    with waiting():
        pooled = engine.raw_connection()
    try:
        turn = _take_turn(_TURNS[engine])
        try:
            _insert_committed(pooled, engine, rows)
        finally:
            turn.release()
    finally:
        pooled.close()


def _insert_committed(
    pooled: PoolProxiedConnection, engine: Engine, rows: Sequence[dict[str, Any]]
) -> None:
    cursor = pooled.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        audit_records.insert_on_driver(cursor, engine.dialect, rows)
        cursor.execute("COMMIT")
    except sqlite3.Error as exc:
        with suppress(sqlite3.Error):
            cursor.execute("ROLLBACK")
        raise trail.unavailable() from exc
    finally:
        cursor.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]
