"""Optimistic locking under real concurrency (PostgreSQL, real commits, no rollback wrapper).

Twenty clients read the same ETag and send a PATCH at once. The routes are sync ``def``s, so
Starlette runs each request in its own worker thread with its own connection. A barrier in
front of the version claim holds every request until all twenty have loaded the household at
version 1: the worst interleaving, which without it would depend on timing. Exactly one may
win; the others must get 412 and leave nothing behind.
"""

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import Engine, event, func, select
from sqlmodel import col

from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.events.models import Event
from gezinsplan.main import create_app
from tests.conftest import alembic_config

WRITERS = 20
API = "/api/v1"


@pytest.fixture
def live_engine(create_database: Callable[[str], str]) -> Iterator[Engine]:
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, pool_size=WRITERS + 5, max_overflow=5)
    yield engine
    engine.dispose()


def bearer(settings: Settings, *roles: str, **claims: Any) -> dict[str, str]:
    jwt = mint(settings, sub=f"writer-{uuid.uuid4().hex[:6]}", name="Writer", roles=roles, **claims)
    return {"Authorization": f"Bearer {jwt}"}


class ClaimBarrier:
    """Holds each conditional version UPDATE until ``parties`` of them are waiting."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=30)
        self.threads: set[int] = set()

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE households SET version="):
            self.threads.add(threading.get_ident())
            self.barrier.wait()


async def patch_all(
    app: FastAPI, path: str, etag: str, headers: dict[str, str]
) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        requests = [
            client.patch(
                path,
                json={"name": f"Gezin Schrijver {n}"},
                headers=headers | {"If-Match": etag},
            )
            for n in range(WRITERS)
        ]
        return await asyncio.gather(*requests)


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_one_of_twenty_concurrent_writers_with_the_same_etag_wins(
    engine_name: str, live_engine: Engine, settings: Settings
) -> None:
    app = create_app(settings, bind=live_engine)
    admin = bearer(settings, "admin")
    toegang = bearer(settings, "toegang", municipalities=["0193"], org=uuid.uuid4())

    async def seed() -> tuple[str, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
            created = await client.post(f"{API}/organizations", json=body, headers=admin)
            assert created.status_code == 201, created.text
            opened = await client.post(
                f"{API}/households",
                json={"municipalityCode": "0193", "name": "Gezin Jansen"},
                headers=toegang,
            )
            assert opened.status_code == 201, opened.text
            return str(opened.json()["id"]), opened.headers["etag"]

    household_id, etag = asyncio.run(seed())
    assert etag == '"1"'

    claims = ClaimBarrier(WRITERS)
    event.listen(live_engine, "before_cursor_execute", claims)
    try:
        responses = asyncio.run(patch_all(app, f"{API}/households/{household_id}", etag, toegang))
    finally:
        event.remove(live_engine, "before_cursor_execute", claims)

    # All twenty reached the claim together, each on its own worker thread.
    assert not claims.barrier.broken
    assert len(claims.threads) == WRITERS
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * (WRITERS - 1), [r.text for r in responses]
    winner = next(response for response in responses if response.status_code == 200)
    assert winner.headers["etag"] == '"2"'
    for loser in (response for response in responses if response.status_code == 412):
        assert loser.headers["content-type"] == "application/problem+json"
        assert loser.json()["status"] == 412

    async def read() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(f"{API}/households/{household_id}", headers=toegang)

    stored = asyncio.run(read())
    assert stored.status_code == 200
    assert stored.json()["name"] == winner.json()["name"]
    assert stored.json()["version"] == 2
    assert stored.headers["etag"] == '"2"'

    with live_engine.connect() as connection:
        updated = connection.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                col(Event.type) == "household.updated",
                col(Event.household_id) == uuid.UUID(household_id),
            )
        )
    assert updated == 1
