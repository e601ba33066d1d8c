"""Capture the SQL statements one request issues, by running the app in-process.

Ceiling B replays what a real plan read sends, and the results show the query plans of the
plan read's and the list's statements; both come from here, so neither is written by hand.
"""

import re
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
    """A statement as the driver received it: SQL text with the driver's placeholders."""

    sql: str
    parameters: Any


def fold(statements: list[Statement]) -> Statement:
    """One statement running all of ``statements`` as CTEs, answering their SELECTs' rows as
    one JSON array built by PostgreSQL; each statement's parameters are renamed apart."""
    parts: list[str] = []
    parameters: dict[str, Any] = {}
    for i, statement in enumerate(statements):
        sql = _PLACEHOLDER.sub(rf"%(s{i}_\1)s", statement.sql)
        parameters |= {f"s{i}_{name}": value for name, value in statement.parameters.items()}
        parts.append(f"c{i} AS ({sql})")
    answers = ", ".join(
        f"(SELECT json_agg(c{i}) FROM c{i})"  # noqa: S608 (names made here)
        for i, statement in enumerate(statements)
        if statement.sql.lstrip().upper().startswith("SELECT")
    )
    return Statement(
        f"WITH {', '.join(parts)} SELECT json_build_array({answers})::text", parameters
    )


def capture(
    url: str, settings: Settings, path: str, headers: dict[str, str]
) -> tuple[int, list[Statement]]:
    """The status of ``GET path`` and every statement it sent, in order."""
    engine = make_engine(url)
    captured: list[Statement] = []

    def listen(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        captured.append(Statement(sql, parameters))

    try:
        app = create_app(settings, bind=engine)
        with TestClient(app) as client:
            client.get(path, headers=headers)  # warm: connection set-up is not the request's
            event.listen(engine, "before_cursor_execute", listen)
            status = client.get(path, headers=headers).status_code
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
