"""Ceiling B: the database alone, running the statements one plan read sends.

Each of ``connections`` processes holds one driver connection (psycopg or sqlite3, as the
app's) and replays the captured statements, the audit insert and the commit included, as
one transaction per "request". Processes, not threads, so the GIL of one Python does not
set the ceiling. Throughput and latency come out as wrk's do.
"""

import multiprocessing
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from bench.statements import Statement


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]


def _connect(url: str) -> Any:
    if url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=5000"):
            connection.execute(f"PRAGMA {pragma}")
        return connection
    import psycopg

    return psycopg.connect(url)


def _transaction(connection: Any, statements: list[Statement], sqlite: bool) -> bool:
    """One replayed request; False when the database refused it (SQLite: "locked")."""
    cursor = connection.cursor()
    try:
        for statement in statements:
            if sqlite and statement.sql.startswith("BEGIN") and connection.in_transaction:
                # A read's record has a transaction of its own after its reads' (db.py).
                cursor.execute("COMMIT")
            cursor.execute(statement.sql, statement.parameters)
            if cursor.description is not None:
                cursor.fetchall()
        if sqlite:
            cursor.execute("COMMIT")
        else:
            connection.commit()
    except Exception:
        if sqlite:
            if connection.in_transaction:
                cursor.execute("ROLLBACK")
        else:
            connection.rollback()
        return False
    return True


def _worker(
    url: str,
    statements: list[Statement],
    start_at: float,
    seconds: float,
    interval: float,
    queue: Any,
) -> None:
    latencies: list[float] = []
    failed = 0
    try:
        failed = _replay(url, statements, start_at, seconds, interval, latencies)
    finally:
        queue.put((latencies, failed))


def _replay(
    url: str,
    statements: list[Statement],
    start_at: float,
    seconds: float,
    interval: float,
    latencies: list[float],
) -> int:
    sqlite = url.startswith("sqlite")
    connection = _connect(url)
    failed = 0
    _transaction(connection, statements, sqlite)  # warm the connection and its statements
    while time.monotonic() < start_at:
        time.sleep(0.001)
    slot = start_at
    end = start_at + seconds
    while True:
        if interval:
            pause = slot - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            slot += interval
        began = time.monotonic()
        if began >= end:
            break
        if _transaction(connection, statements, sqlite):
            latencies.append(time.monotonic() - began)
        else:
            failed += 1
    connection.close()
    return failed


def replay(
    url: str, statements: list[Statement], *, connections: int, seconds: float, rate: float = 0
) -> Measured:
    """Replay from ``connections`` processes for ``seconds``; ``rate`` > 0 paces them."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.monotonic() + 1.0
    interval = connections / rate if rate else 0.0
    processes = [
        context.Process(target=_worker, args=(url, statements, start_at, seconds, interval, queue))
        for _ in range(connections)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    failed = 0
    for _ in processes:
        done, refused = queue.get()
        latencies += done
        failed += refused
    latencies.sort()
    for process in processes:
        process.join()
    return Measured(
        requests=len(latencies),
        seconds=seconds,
        p50_ms=_percentile(latencies, 50),
        p95_ms=_percentile(latencies, 95),
        p99_ms=_percentile(latencies, 99),
        statuses={"committed": len(latencies), "refused": failed} if failed else {},
    )


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]
