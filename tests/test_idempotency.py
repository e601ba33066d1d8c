"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a resend gets the first
answer byte for byte; another body under the same key is a 422; a resend while the first
runs is a 409 (PostgreSQL); keys are per client, kept at least 24 hours, and purged after.
"""

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.idempotency.dependencies import idempotency
from gezinsplan.idempotency.models import IdempotencyKey
from gezinsplan.kit.clock import utcnow
from gezinsplan.main import create_app
from gezinsplan.progress.models import ProgressUpdate
from tests.conftest import Directory, Token, alembic_config
from tests.progress_case import API, Case, build_case, item, report

PUSH = f"{API}/progress-updates"
PROBLEM = "urn:gezinsplan:problem:"


@pytest.fixture
def case(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> Case:
    return build_case(client, token, toegang, household, directory)


def goal_url(case: Case, domain: str = "finances") -> str:
    return f"{case.base}/plan/goals/{case.goals[domain]}/progress"


def count(connection: Connection, model: Any) -> int:
    return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def test_a_system_without_a_key_is_refused_with_400(client: TestClient, case: Case) -> None:
    for url, body in ((goal_url(case), report()), (PUSH, {"updates": [item(case, "a")]})):
        response = client.post(url, json=body, headers=case.partner)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == PROBLEM + "idempotency-key-missing"


@pytest.mark.parametrize("key", ["", " ", "a\tb", "a b", "x" * 256, '"unterminated', '"a"b"'])
def test_a_malformed_key_is_400(client: TestClient, case: Case, key: str) -> None:
    headers = case.partner | {"Idempotency-Key": key}
    response = client.post(goal_url(case), json=report(), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["type"] in {
        PROBLEM + "idempotency-key-invalid",
        PROBLEM + "idempotency-key-missing",
    }


@pytest.mark.parametrize("url_of", [goal_url, lambda _case: PUSH])
def test_a_resend_replays_the_first_answer_byte_for_byte(
    client: TestClient, case: Case, connection: Connection, url_of: Callable[[Case], str]
) -> None:
    url = url_of(case)
    body: Any = report() if url != PUSH else {"updates": [item(case, "r1"), item(case, "r2")]}
    headers = case.partner | {"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}
    first = client.post(url, json=body, headers=headers)
    assert first.status_code in {200, 201}, first.text
    assert "idempotent-replayed" not in first.headers
    stored = count(connection, ProgressUpdate)
    # The same request again, its JSON reordered and the key as an RFC 8941 string.
    quoted = headers | {"Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    reordered = dict(reversed(list(body.items()))) if url != PUSH else body
    for again in (
        client.post(url, json=body, headers=headers),
        client.post(url, json=reordered, headers=quoted),
    ):
        assert again.status_code == first.status_code
        assert again.content == first.content
        assert again.headers["idempotent-replayed"] == "true"
        for name in ("content-type", "location"):
            assert again.headers.get(name) == first.headers.get(name)
    assert count(connection, ProgressUpdate) == stored
    assert count(connection, IdempotencyKey) == 1


def test_the_same_key_with_another_body_is_422(
    client: TestClient, case: Case, connection: Connection
) -> None:
    headers = case.partner | {"Idempotency-Key": "k-1"}
    assert client.post(goal_url(case), json=report(), headers=headers).status_code == 201
    changed = client.post(goal_url(case), json=report("Anders."), headers=headers)
    assert changed.status_code == 422
    assert changed.json()["type"] == PROBLEM + "idempotency-key-reused"
    # Another path is another request too.
    elsewhere = client.post(
        goal_url(case, "housing"), json=report(), headers=case.toegang | {"Idempotency-Key": "k-1"}
    )
    assert elsewhere.status_code == 201  # the access team is another client
    assert count(connection, ProgressUpdate) == 2


def test_keys_belong_to_one_client(
    client: TestClient, case: Case, token: Token, connection: Connection
) -> None:
    key = {"Idempotency-Key": "shared-key"}
    mine = client.post(PUSH, json={"updates": [item(case, "m")]}, headers=case.partner | key)
    # Another organization's system, and a second system of the same organization: each its
    # own key, its own work, its own answer; none sees the other's.
    theirs = client.post(
        PUSH,
        json={"updates": [item(case, "t", "parenting")]},
        headers=case.youth_partner | key,
    )
    colleague = token("partner_system", org=uuid.UUID(case.directory.debt_help), sub="tweede")
    second = client.post(PUSH, json={"updates": [item(case, "m")]}, headers=colleague | key)
    assert mine.status_code == theirs.status_code == second.status_code == 200
    assert "idempotent-replayed" not in theirs.headers | second.headers
    assert theirs.json()["results"][0]["status"] == "created"
    assert second.json()["results"][0]["status"] == "duplicate"  # the organization's external id
    assert mine.json()["results"][0]["id"] not in theirs.text
    assert count(connection, IdempotencyKey) == 3


def test_a_human_may_send_a_key_and_gets_the_same_semantics(client: TestClient, case: Case) -> None:
    headers = case.provider | {"Idempotency-Key": "mens"}
    first = client.post(goal_url(case), json=report(), headers=headers)
    again = client.post(goal_url(case), json=report(), headers=headers)
    assert (first.status_code, again.content, again.headers["idempotent-replayed"]) == (
        201,
        first.content,
        "true",
    )
    assert client.post(goal_url(case), json=report("Ander."), headers=headers).status_code == 422
    # Without a key a human's resend is a new update.
    plain = [client.post(goal_url(case), json=report(), headers=case.provider) for _ in range(2)]
    assert plain[0].json()["id"] != plain[1].json()["id"]


def test_a_refused_request_leaves_no_key(
    client: TestClient, case: Case, connection: Connection
) -> None:
    headers = case.partner | {"Idempotency-Key": "retry-me"}
    invalid = client.post(goal_url(case), json=report(zrmScore=9), headers=headers)
    assert invalid.status_code == 422
    assert count(connection, IdempotencyKey) == 0
    fixed = client.post(goal_url(case), json=report(zrmScore=3), headers=headers)
    assert fixed.status_code == 201, fixed.text


def test_expired_keys_are_forgotten_and_purged(
    client: TestClient, case: Case, connection: Connection, settings: Settings
) -> None:
    headers = case.partner | {"Idempotency-Key": "old"}
    first = client.post(goal_url(case), json=report(), headers=headers)
    assert first.status_code == 201
    stale = utcnow() - timedelta(hours=settings.idempotency_ttl_hours + 1)
    with Session(connection, join_transaction_mode="create_savepoint") as session:
        row = session.scalars(select(IdempotencyKey)).one()
        row.created_at, row.expires_at = stale - timedelta(hours=24), stale
        for n in range(3):  # other clients' expired keys
            session.add(
                IdempotencyKey(
                    client=f"{n:064d}",
                    key="k",
                    fingerprint="0" * 64,
                    status_code=201,
                    headers="{}",
                    body=b"{}",
                    created_at=stale,
                    expires_at=stale,
                )
            )
        session.commit()
    # The expired key is a new key: the request runs again (a second update).
    again = client.post(goal_url(case), json=report(), headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    # Storing it purged the other expired keys; only the fresh one is left.
    keys = connection.execute(select(col(IdempotencyKey.key), col(IdempotencyKey.expires_at))).all()
    assert len(keys) == 1
    assert keys[0][1] - utcnow() > timedelta(hours=23)


def test_keys_are_kept_at_least_24_hours() -> None:
    with pytest.raises(ValidationError):
        Settings(idempotency_ttl_hours=23)
    assert Settings().idempotency_ttl_hours == 24


# A rule that admits any caller leaves the refusal to the service, after the body is parsed:
# such a route needs a valid body to show whether a system gets in.
VALID_BODIES = {
    f"{API}/households": {
        "municipalityCode": "0193",
        "name": "Gezin Systeem",
        "referralSource": "municipal_access",
    }
}


def _uses_idempotency(route: Any) -> bool:
    def calls(dependant: Any) -> Iterator[Any]:
        for sub in dependant.dependencies:
            yield sub.call
            yield from calls(sub)

    return idempotency in set(calls(route.dependant))


def test_every_post_a_machine_client_reaches_takes_the_key(
    app: FastAPI, client: TestClient, case: Case, token: Token
) -> None:
    """Each POST of the route table, as each kind of system, on a household where it works:
    refused (401/403/404) or asking for the key (400), never working without one. A route
    that asks must declare ``Idempotency``."""
    debt = uuid.UUID(case.directory.debt_help)
    machines = {
        "partner": case.partner,
        "municipal": token("municipal_system", municipalities=("0193", "0148"), org=debt),
    }
    # Real ids of the household for every path parameter.
    plan = client.get(f"{case.base}/plan", headers=case.toegang).json()
    ids = {
        "household_id": case.household,
        "goal_id": case.goals["finances"],
        "member_id": str(uuid.uuid4()),
        "action_id": str(uuid.uuid4()),
        "consent_id": str(uuid.uuid4()),
        "role_id": case.roles[case.directory.debt_help],
        "evaluation_id": str(uuid.uuid4()),
        "organization_id": case.directory.debt_help,
        "subscription_id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),
        "restriction_id": str(uuid.uuid4()),
    }
    assert plan["goals"]
    reached = set()
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or "POST" not in (route.methods or ()):
            continue
        path = (route.path or "").format(**ids)
        for name, headers in machines.items():
            body = VALID_BODIES.get(route.path or "", {})
            response = client.post(path, json=body, headers=headers)
            assert response.status_code in {400, 401, 403, 404}, (name, route.path, response.text)
            if response.status_code == 400:
                assert response.json()["type"] == PROBLEM + "idempotency-key-missing"
                assert _uses_idempotency(route), route.path
                reached.add(route.path)
    assert reached == {
        f"{API}/households/{{household_id}}/plan/goals/{{goal_id}}/progress",
        PUSH,
        f"{API}/subscriptions",
    }


# --- in flight: PostgreSQL, real commits, two requests at once ---------------------------------


@pytest.fixture
def live_engine(create_database: Callable[[str], str]) -> Iterator[Engine]:
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.mark.postgresql_only
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_a_resend_while_the_first_runs_is_409(
    engine_name: str, live_engine: Engine, settings: Settings
) -> None:
    app = create_app(settings, bind=live_engine)

    def bearer(*roles: str, **claims: Any) -> dict[str, str]:
        jwt = mint(settings, sub=f"s-{uuid.uuid4().hex[:6]}", name="S", roles=roles, **claims)
        return {"Authorization": f"Bearer {jwt}"}

    admin = bearer("admin")
    toegang = bearer("toegang", municipalities=["0193"], org=uuid.uuid4())
    with TestClient(app) as client:
        client.post(
            f"{API}/organizations",
            json={"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"},
            headers=admin,
        )
        org = client.post(
            f"{API}/organizations",
            json={"kind": "care_provider", "name": "Schuldhulp", "agbCode": "41000002"},
            headers=admin,
        ).json()["id"]
        household = client.post(
            f"{API}/households",
            json={
                "municipalityCode": "0193",
                "name": "Gezin",
                "referralSource": "municipal_access",
            },
            headers=toegang,
        ).json()["id"]
        base = f"{API}/households/{household}"
        client.post(f"{base}/roles", json={"organizationId": org}, headers=toegang)
        goal = client.post(
            f"{base}/plan/goals",
            json={
                "lifeDomain": "finances",
                "description": "Schulden",
                "zrmStart": 2,
                "zrmTarget": 4,
                "organizationId": org,
            },
            headers=toegang,
        ).json()["id"]
    partner = bearer("partner_system", org=uuid.UUID(org)) | {"Idempotency-Key": "in-flight"}
    url = f"{base}/plan/goals/{goal}/progress"

    # Hold the first request just before it stores its key, inside its transaction.
    holding, release = threading.Event(), threading.Event()
    first_thread: set[int] = set()

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO idempotency_keys") and not first_thread:
            first_thread.add(threading.get_ident())
            holding.set()
            release.wait(30)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.create_task(client.post(url, json=report(), headers=partner))
            await asyncio.to_thread(holding.wait, 30)
            second = await client.post(url, json=report(), headers=partner)
            release.set()
            done = await first
            third = await client.post(url, json=report(), headers=partner)
            return [done, second, third]

    event.listen(live_engine, "before_cursor_execute", hold)
    try:
        done, second, third = asyncio.run(scenario())
    finally:
        release.set()
        event.remove(live_engine, "before_cursor_execute", hold)
    assert holding.is_set()
    assert second.status_code == 409, second.text
    assert second.json()["type"] == PROBLEM + "idempotency-key-in-flight"
    assert done.status_code == 201, done.text
    assert (third.status_code, third.content) == (201, done.content)
    assert third.headers["idempotent-replayed"] == "true"
    with live_engine.connect() as connection:
        assert count(connection, ProgressUpdate) == 1
