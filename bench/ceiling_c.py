"""Ceiling C: a request's own statements behind a bare FastAPI app.

Ceiling A has no database, ceiling B no HTTP; this is both and nothing else: the statements
a real request sent (bench/statements.py), run in one transaction on an asyncio pool of
psycopg connections with prepared statements, behind an ``async def`` route that checks the
token's signature, audience and issuer and answers with the rows as JSON. No middleware, no
access rule in Python, no audit sealing, no problem documents. It is what any service
sending these statements can reach on this machine, so a scenario's share of it is the
part of the gap that the service's own layers cost.

With ``BENCH_C_FOLDED=1`` each request's statements are folded into one: each becomes a
CTE, the audit insert among them, and PostgreSQL builds the JSON; one round trip, the shape
issue 17's fastest prototype measured. The fold runs the same statements but does not feed
one's result into the next, so it is a bound, not a design.

Served by uvicorn as ceiling A is (``--workers``), configured through the environment:
``BENCH_C_STATEMENTS`` (a pickle of ``{scenario: (household, statements)}``),
``BENCH_C_URL``, ``BENCH_C_SECRET``, ``BENCH_C_FOLDED``. ``GET /{scenario}/{household}``
runs the scenario's statements; where they were captured for a household, it is replaced by
the path's in every parameter that equals it.
"""

import asyncio
import json
import os
import pickle
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jwt
import psycopg
from fastapi import FastAPI, Request, Response

from bench.statements import Statement, fold
from gezinsplan.config import Settings

POOL_SIZE = 8  # one per wrk connection, should one worker accept them all
# The bench's own file, written by bench/run.py for this process.
_FROZEN = Path(os.environ["BENCH_C_STATEMENTS"]).read_bytes()
_SHAPES: dict[str, tuple[uuid.UUID | None, list[Statement]]] = pickle.loads(_FROZEN)  # noqa: S301
_URL = os.environ["BENCH_C_URL"]
_SECRET = os.environ["BENCH_C_SECRET"]
_FOLDED = os.environ.get("BENCH_C_FOLDED") == "1"
_DEFAULTS = Settings(jwt_secret=_SECRET)
_RUN = {name: [fold(run)] if _FOLDED else run for name, (_, run) in _SHAPES.items()}
_pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    connections = [
        await psycopg.AsyncConnection.connect(_URL, prepare_threshold=1) for _ in range(POOL_SIZE)
    ]
    for connection in connections:
        _pool.put_nowait(connection)
    yield
    for connection in connections:
        await connection.close()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


def _for(parameters: dict[str, Any], captured: uuid.UUID | None, household: str) -> dict[str, Any]:
    if captured is None:
        return parameters
    asked = uuid.UUID(household)
    return {k: asked if v == captured else v for k, v in parameters.items()}


@app.get("/{scenario}/{household}")
async def replay(scenario: str, household: str, request: Request) -> Response:
    jwt.decode(
        request.headers["authorization"].removeprefix("Bearer "),
        _SECRET,
        algorithms=["HS256"],
        audience=_DEFAULTS.jwt_audience,
        issuer=_DEFAULTS.jwt_issuer,
    )
    captured = _SHAPES[scenario][0]
    answers: list[Any] = []
    connection = await _pool.get()
    try:
        async with connection.transaction():
            for statement in _RUN[scenario]:
                cursor = await connection.execute(
                    statement.sql, _for(statement.parameters, captured, household)
                )
                if cursor.description is not None:
                    answers.append(await cursor.fetchall())
    finally:
        _pool.put_nowait(connection)
    if _FOLDED:
        return Response(answers[0][0][0].encode(), media_type="application/json")
    return Response(json.dumps(answers, default=str).encode(), media_type="application/json")


@app.get("/ready")
async def ready() -> dict[str, str]:
    return {"status": "ready"}
