"""Capture the SQL statements one request issues, by running the app in-process.

Ceiling B replays what a real plan read sends, and the results show the query plans of the
plan read's and the list's statements; both come from here, so neither is written by hand.
"""

import re
import threading
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.main import create_app

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")  # psycopg's named placeholder


@dataclass(frozen=True)
class Statement:
    """A statement as the driver received it: SQL text with psycopg's placeholders and their
    parameters, or SQLite's with the values in place."""

    sql: str
    parameters: Any


def fold(statements: list[Statement]) -> Statement:
    """One statement running all of ``statements`` as CTEs, answering their SELECTs' rows as
    one JSON array built by PostgreSQL; each statement's parameters are renamed apart, and a
    statement's own CTEs are lifted to the top (PostgreSQL allows data-modifying ones only
    there)."""
    parts: list[str] = []
    parameters: dict[str, Any] = {}
    for i, statement in enumerate(statements):
        sql = _PLACEHOLDER.sub(rf"%(s{i}_\1)s", statement.sql)
        parameters |= {f"s{i}_{name}": value for name, value in statement.parameters.items()}
        lifted, body = _lifted(sql)
        parts += lifted
        parts.append(f"c{i} AS ({body})")
    answers = ", ".join(
        f"(SELECT json_agg(c{i}) FROM c{i})"  # noqa: S608 (names made here)
        for i, statement in enumerate(statements)
        if statement.sql.lstrip().upper().startswith("SELECT")
    )
    return Statement(
        f"WITH {', '.join(parts)} SELECT json_build_array({answers})::text", parameters
    )


def _lifted(sql: str) -> tuple[list[str], str]:
    """A statement's leading ``WITH`` list, each ``name AS (...)``, and the rest of it."""
    if not sql.startswith("WITH "):
        return [], sql
    ctes, at = [], len("WITH ")
    while True:
        opening = sql.index("(", at)
        closing = _closing(sql, opening)
        ctes.append(sql[at : closing + 1].strip())
        rest = sql[closing + 1 :].lstrip()
        if not rest.startswith(","):
            return ctes, rest
        at = len(sql) - len(rest) + 1


def _closing(sql: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at ``opening``, quotes skipped."""
    depth, quoted = 0, False
    for at in range(opening, len(sql)):
        char = sql[at]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return at
    raise ValueError("unbalanced parentheses")


def capture(
    url: str, settings: Settings, path: str, headers: dict[str, str]
) -> tuple[int, list[Statement]]:
    """The status of ``GET path`` and every statement it sent, in order.

    PostgreSQL's as psycopg received them, with their parameters. SQLite's as SQLite ran
    them, values in place: a read's audit record goes by the driver's own cursor, past
    SQLAlchemy's events (``db._commit_alone``). COMMITs are left out on both, as psycopg
    sends them by itself; SQLite's BEGINs are kept (the replay ends what they open).
    """
    engine = make_engine(url)
    captured: list[Statement] = []
    listening = threading.Event()

    def listen(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        captured.append(Statement(sql, parameters))

    def trace(sql: str) -> None:
        if listening.is_set() and not sql.startswith(("COMMIT", "ROLLBACK", "PRAGMA")):
            captured.append(Statement(sql, ()))

    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(trace))
    try:
        app = create_app(settings, bind=engine)
        with TestClient(app) as client:
            client.get(path, headers=headers)  # warm: connection set-up is not the request's
            if not sqlite:
                event.listen(engine, "before_cursor_execute", listen)
            listening.set()
            status = client.get(path, headers=headers).status_code
            listening.clear()
            if not sqlite:
                event.remove(engine, "before_cursor_execute", listen)
    finally:
        engine.dispose()
    return status, captured


def explain(url: str, statements: list[Statement]) -> list[str]:
    """The query plan of each SELECT, as the engine reports it with these parameters."""
    engine = make_engine(url)
    plans = []
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            for statement in statements:
                if not statement.sql.lstrip().upper().startswith("SELECT"):
                    continue
                if engine.dialect.name == "postgresql":
                    with driver.cursor() as cursor:
                        cursor.execute(
                            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement.sql,
                            statement.parameters,
                        )
                        lines = [row[0] for row in cursor.fetchall()]
                else:
                    cursor = driver.cursor()
                    rows = cursor.execute(
                        "EXPLAIN QUERY PLAN " + statement.sql, statement.parameters
                    ).fetchall()
                    lines = [f"{'  ' * (row[1] > 0)}{row[3]}" for row in rows]
                plans.append(statement.sql + "\n\n" + "\n".join(lines))
            connection.rollback()
    finally:
        engine.dispose()
    return plans
