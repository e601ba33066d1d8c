"""Connections the server drops: PostgreSQL restarted, a backend terminated, an idle timeout.

The service keeps connections in its pool between requests. One the server ended while it
sat there is replaced when it is checked out, before the request sends anything on it: a read
or a write goes on as if nothing happened, and the read leaves one audit record. A connection
that drops while a write is under way fails that write with 503 problem+json and Retry-After;
nothing is stored and the next request gets new connections.

PostgreSQL only, on a database of its own with real commits: the shared test connection of
the other tests is never pooled.
"""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.pool import NullPool

from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import _replace_if_closed, make_engine
from gezinsplan.main import create_app
from tests.conftest import alembic_config

pytestmark = [pytest.mark.postgresql_only, pytest.mark.parametrize("engine_name", ["postgresql"])]

API = "/api/v1"
HOUSEHOLD = {
    "municipalityCode": "0193",
    "name": "Gezin Jansen",
    "referralSource": "municipal_access",
}
OTHER_BACKENDS = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture
def database_url(create_database: Callable[[str], str]) -> str:
    url = create_database("postgresql")
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def live_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def side(database_url: str) -> Iterator[Engine]:
    """A connection of its own, outside the service's pool, to end the service's connections."""
    engine = make_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings, live_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, bind=live_engine), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def toegang(settings: Settings, client: TestClient) -> dict[str, str]:
    """An access worker in Zwolle, which is registered."""
    admin = {"Authorization": f"Bearer {mint(settings, sub='admin', name='A', roles=('admin',))}"}
    body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
    assert client.post(f"{API}/organizations", json=body, headers=admin).status_code == 201
    jwt = mint(
        settings,
        sub="worker",
        name="W",
        roles=("toegang",),
        org=uuid.uuid4(),
        municipalities=("0193",),
    )
    return {"Authorization": f"Bearer {jwt}"}


def terminate(side: Engine, pids: list[int] | None = None) -> list[int]:
    """End the service's backends (or the given ones) and wait until they are gone."""
    with side.connect() as connection:
        pids = pids or list(connection.scalars(text(OTHER_BACKENDS)))
        for pid in pids:
            # With a timeout, pg_terminate_backend returns once the backend has exited.
            ended = connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            assert ended, f"backend {pid} did not exit"
    return pids


def scalar(side: Engine, sql: str, **params: Any) -> Any:
    with side.connect() as connection:
        return connection.scalar(text(sql), params)


def invalidations(engine: Engine) -> list[BaseException | None]:
    """The connections the pool throws away, with the reason, from now on."""
    found: list[BaseException | None] = []
    event.listen(engine.pool, "invalidate", lambda _c, _r, exc: found.append(exc))
    return found


def test_a_read_on_a_connection_the_server_ended_is_served_and_audited_once(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    created = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)
    assert created.status_code == 201, created.text
    path = f"{API}/households/{created.json()['id']}"
    assert client.get(path, headers=toegang).status_code == 200
    assert live_engine.pool.checkedin() >= 1  # type: ignore[attr-defined]
    thrown_away = invalidations(live_engine)

    assert terminate(side)
    read = client.get(path, headers=toegang | {"X-Request-ID": "read-after-terminate"})

    assert read.status_code == 200, read.text
    assert read.json()["name"] == "Gezin Jansen"
    assert thrown_away, "the request did not meet a stale pooled connection"
    records = "SELECT count(*) FROM audit_records WHERE request_id = :id AND status_code = 200"
    assert scalar(side, records, id="read-after-terminate") == 1


def test_a_write_on_a_connection_the_server_ended_is_carried_out_once(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    thrown_away = invalidations(live_engine)

    assert terminate(side)
    created = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)

    assert created.status_code == 201, created.text
    assert thrown_away
    assert scalar(side, "SELECT count(*) FROM households") == 1


def test_without_the_checkout_probe_the_stale_connection_fails_the_request(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    """What the probe prevents, and that a drop which reaches a request is a 503, not a 500."""
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    event.remove(live_engine, "checkout", _replace_if_closed)
    assert terminate(side)

    failed = client.get(f"{API}/households", headers=toegang)

    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["retry-after"]
    # The disconnect invalidated the whole pool: the next request connects anew.
    assert client.get(f"{API}/households", headers=toegang).status_code == 200


def test_a_write_whose_connection_drops_midway_answers_503_and_stores_nothing(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    dropped: list[int] = []

    def drop_before_the_insert(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO households") and not dropped:
            dropped.append(connection.connection.dbapi_connection.info.backend_pid)
            terminate(side, dropped)

    thrown_away = invalidations(live_engine)
    event.listen(live_engine, "before_cursor_execute", drop_before_the_insert)
    try:
        failed = client.post(
            f"{API}/households", json=HOUSEHOLD, headers=toegang | {"X-Request-ID": "dropped"}
        )
    finally:
        event.remove(live_engine, "before_cursor_execute", drop_before_the_insert)

    assert dropped
    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["retry-after"] == "5"
    assert failed.json()["status"] == 503
    assert "Traceback" not in failed.text
    assert scalar(side, "SELECT count(*) FROM households") == 0
    outcome = "SELECT outcome FROM audit_records WHERE request_id = 'dropped' AND status_code = 503"
    assert scalar(side, outcome) == "failed"
    # The disconnect invalidated the pool: every connection older than it is replaced.
    assert thrown_away, "the pool kept the dropped connection"

    retried = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)
    assert retried.status_code == 201, retried.text
    assert scalar(side, "SELECT count(*) FROM households") == 1
