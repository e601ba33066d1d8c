"""Optimistic locking under real concurrency (PostgreSQL, real commits, no rollback wrapper).

Twenty clients read the same ETag and send a PATCH at once. The routes are sync ``def``s, so
Starlette runs each request in its own worker thread with its own connection. A barrier in
front of the version claim holds every request until all twenty have loaded the household at
version 1: the worst interleaving, which without it would depend on timing. Exactly one may
win; the others must get 412 and leave nothing behind.

The same holds for goal edits under the plan's ETag, and for fifty concurrent regisseur
assignments (a first one, or handovers from the same current one): exactly one is applied,
the rest get 409, and the history stays consistent.
"""

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
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
    """Holds each statement that starts with ``prefix`` until ``parties`` of them are waiting."""

    def __init__(self, parties: int, prefix: str = "UPDATE households SET version=") -> None:
        self.barrier = threading.Barrier(parties, timeout=30)
        self.threads: set[int] = set()
        self.prefix = prefix

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(self.prefix):
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
                json={
                    "municipalityCode": "0193",
                    "name": "Gezin Jansen",
                    "referralSource": "municipal_access",
                },
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


ASSIGNERS = 50


@pytest.fixture
def wide_engine(create_database: Callable[[str], str]) -> Iterator[Engine]:
    """A pool with a connection for each of fifty concurrent requests."""
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, pool_size=ASSIGNERS + 5, max_overflow=5)
    yield engine
    engine.dispose()


async def send_all(
    app: FastAPI, requests: list[tuple[str, str, dict[str, Any], dict[str, str]]]
) -> list[httpx.Response]:
    """Send every request at once; the thread pool is widened so none waits for a thread."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = len(requests) + 10
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(
            *(
                client.request(method, path, json=body, headers=headers)
                for method, path, body, headers in requests
            )
        )


def seed_household(app: FastAPI, settings: Settings, toegang: dict[str, str]) -> tuple[str, str]:
    """A municipality, an access team and an open household; returns (household, team) ids."""
    admin = bearer(settings, "admin")

    async def seed() -> tuple[str, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
            assert (
                await client.post(f"{API}/organizations", json=body, headers=admin)
            ).status_code == 201
            team = await client.post(
                f"{API}/organizations",
                json={"kind": "access_team", "name": "Wijkteam", "servedMunicipalities": ["0193"]},
                headers=admin,
            )
            assert team.status_code == 201, team.text
            opened = await client.post(
                f"{API}/households",
                json={
                    "municipalityCode": "0193",
                    "name": "Gezin Jansen",
                    "referralSource": "municipal_access",
                },
                headers=toegang,
            )
            assert opened.status_code == 201, opened.text
            return str(opened.json()["id"]), str(team.json()["id"])

    return asyncio.run(seed())


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_one_of_twenty_concurrent_goal_edits_with_the_same_etag_wins(
    engine_name: str, live_engine: Engine, settings: Settings
) -> None:
    app = create_app(settings, bind=live_engine)
    toegang = bearer(settings, "toegang", municipalities=["0193"], org=uuid.uuid4())
    household_id, _team = seed_household(app, settings, toegang)
    plan = f"{API}/households/{household_id}/plan"
    goal_body = {"lifeDomain": "housing", "description": "Woonplek", "zrmStart": 1, "zrmTarget": 3}
    [created] = asyncio.run(send_all(app, [("POST", f"{plan}/goals", goal_body, toegang)]))
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    path = f"{plan}/goals/{created.json()['id']}"

    claims = ClaimBarrier(WRITERS, prefix="UPDATE plans SET version=(plans.version")
    event.listen(live_engine, "before_cursor_execute", claims)
    try:
        responses = asyncio.run(
            send_all(
                app,
                [
                    ("PATCH", path, {"description": f"Woonplek {n}"}, toegang | {"If-Match": etag})
                    for n in range(WRITERS)
                ],
            )
        )
    finally:
        event.remove(live_engine, "before_cursor_execute", claims)

    assert not claims.barrier.broken
    assert len(claims.threads) == WRITERS
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * (WRITERS - 1), [r.text for r in responses]
    winner = next(response for response in responses if response.status_code == 200)
    [stored] = asyncio.run(send_all(app, [("GET", plan, {}, toegang)]))
    assert stored.json()["goals"][0]["description"] == winner.json()["description"]
    assert stored.headers["etag"] == winner.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
@pytest.mark.parametrize("scenario", ["first_assignment", "handover"])
def test_fifty_concurrent_regisseur_assignments_leave_exactly_one_active(
    engine_name: str, wide_engine: Engine, settings: Settings, scenario: str
) -> None:
    app = create_app(settings, bind=wide_engine)
    toegang = bearer(settings, "toegang", municipalities=["0193"], org=uuid.uuid4())
    household_id, team = seed_household(app, settings, toegang)
    path = f"{API}/households/{household_id}/regisseur"

    def body(sub: str, replaces: str | None) -> dict[str, Any]:
        return {
            "professionalSub": sub,
            "professionalName": sub,
            "organizationId": team,
            "reason": f"Regie naar {sub}",
        } | ({"replaces": replaces} if replaces else {})

    replaces = None
    prefix = "INSERT INTO role_assignments"
    if scenario == "handover":
        [first] = asyncio.run(send_all(app, [("PUT", path, body("eerste", None), toegang)]))
        assert first.status_code == 200, first.text
        replaces = str(first.json()["id"])
        prefix = "UPDATE role_assignments SET ended_at="

    claims = ClaimBarrier(ASSIGNERS, prefix=prefix)
    event.listen(wide_engine, "before_cursor_execute", claims)
    try:
        responses = asyncio.run(
            send_all(
                app,
                [
                    ("PUT", path, body(f"regisseur-{n}", replaces), toegang)
                    for n in range(ASSIGNERS)
                ],
            )
        )
    finally:
        event.remove(wide_engine, "before_cursor_execute", claims)

    # All fifty had read the same state and reached the write together.
    assert not claims.barrier.broken
    assert len(claims.threads) == ASSIGNERS
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (ASSIGNERS - 1), [r.text for r in responses]
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.headers["content-type"] == "application/problem+json"
        assert "changed meanwhile" in loser.json()["detail"]
    winner = next(r for r in responses if r.status_code == 200).json()

    [listed] = asyncio.run(
        send_all(app, [("GET", f"{API}/households/{household_id}/roles", {}, toegang)])
    )
    history = listed.json()["items"]
    assert [r["active"] for r in history].count(True) == 1
    assert history[-1]["id"] == winner["id"]
    assert history[-1]["active"] is True
    if scenario == "handover":
        assert len(history) == 2
        assert history[0]["id"] == replaces
        assert history[0]["endedAt"] == winner["startedAt"]
        assert history[0]["endReason"] == winner["startReason"]
    else:
        assert len(history) == 1

    with wide_engine.connect() as connection:
        assigned = connection.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                col(Event.type) == "regisseur.assigned",
                col(Event.household_id) == uuid.UUID(household_id),
            )
        )
    assert assigned == len(history)
