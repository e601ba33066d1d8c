"""A failed request on PostgreSQL: its audit record lands, and nothing else it did.

When the request wrote nothing, its record is committed in its own transaction instead of
after a ROLLBACK, which would make psycopg deallocate every statement prepared on the
connection. When it wrote, everything is rolled back as before. These run on a database of
their own, on a real engine (not the suite's rolled-back connection), with one pooled
connection, so that every request and check shares it.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import col

from gezinsplan.access.dependencies import HouseholdReader
from gezinsplan.audit.models import AuditRecord
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import DbSession, make_engine
from gezinsplan.errors import Conflict
from gezinsplan.main import create_app
from gezinsplan.organizations.models import Organization

pytestmark = pytest.mark.postgresql_only

API = "/api/v1"
CANARY = "Canary municipality written by a failed request"


@pytest.fixture
def engine(live_url: str) -> Iterator[Engine]:
    engine = make_engine(live_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _write_then_fail() -> APIRouter:
    router = APIRouter()

    @router.post("/write-then-fail", status_code=204)
    def write_then_fail(actor: HouseholdReader, session: DbSession, flush: bool) -> None:
        session.add(Organization(kind="municipality", name=CANARY, municipality_code="0999"))
        if flush:
            session.flush()
        raise Conflict("refused after writing")

    return router


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, bind=engine, extra_routers=(_write_then_fail(),))


def _headers(settings: Settings, **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint(settings, **claims)}


def _prepared(engine: Engine) -> int:
    """The statements prepared on the pool's one connection; committed, since a ROLLBACK
    would deallocate them."""
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
        prepared: int = count.scalar_one()
        connection.commit()
    return prepared


def _records(engine: Engine, status_code: int) -> int:
    statement = (
        select(func.count())
        .select_from(AuditRecord)
        .where(col(AuditRecord.status_code) == status_code)
    )
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one()


def test_a_refused_read_keeps_the_statements_prepared_and_is_audited(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    admin = _headers(settings, sub="a", name="A", roles=("admin",))
    toegang = _headers(settings, sub="t", name="T", roles=("toegang",), municipalities=("0193",))
    with TestClient(app) as client:
        body = {"kind": "municipality", "name": "Zwolle", "municipalityCode": "0193"}
        assert client.post(f"{API}/organizations", json=body, headers=admin).is_success
        opened = client.post(
            f"{API}/households",
            json={"municipalityCode": "0193", "name": "X", "referralSource": "municipal_access"},
            headers=toegang,
        )
        plan = f"{API}/households/{opened.json()['id']}/plan"
        for _ in range(6):  # psycopg prepares a statement on its fifth run
            assert client.get(plan, headers=toegang).status_code == 200
        prepared = _prepared(engine)
        assert prepared > 0
        unknown = f"{API}/households/{uuid.uuid4()}/plan"
        assert client.get(unknown, headers=toegang).status_code == 404
        assert _prepared(engine) >= prepared
        assert client.get(plan, headers=toegang).status_code == 200
    assert _records(engine, 404) == 1


@pytest.mark.parametrize("flush", [True, False], ids=["flushed", "pending"])
def test_a_request_that_wrote_and_failed_commits_only_its_record(
    app: FastAPI, engine: Engine, settings: Settings, flush: bool
) -> None:
    toegang = _headers(settings, sub="t", name="T", roles=("toegang",), municipalities=("0193",))
    with TestClient(app) as client:
        response = client.post(f"{API}/write-then-fail", params={"flush": flush}, headers=toegang)
    assert response.status_code == 409
    with engine.connect() as connection:
        written = connection.execute(
            select(func.count()).select_from(Organization).where(col(Organization.name) == CANARY)
        ).scalar_one()
    assert written == 0
    assert _records(engine, 409) == 1
