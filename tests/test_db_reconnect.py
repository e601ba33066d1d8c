"""Connections the server drops: PostgreSQL restarted, a backend terminated, an idle timeout.

The service keeps connections in its pool between requests. One the server ended while it
sat there is replaced when it is checked out, before the request sends anything on it: a read
or a write goes on as if nothing happened, and the read leaves one audit record. A connection
that drops under a request (or that the check-out cannot see is gone) fails its statement: a
read runs again, once, and leaves one audit record; a write answers 503 problem+json with
Retry-After, stores nothing, and the next request gets new connections.

PostgreSQL only, on a database of its own with real commits: the shared test connection of
the other tests is never pooled.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@pytest.fixture
def household_path(client: TestClient, toegang: dict[str, str]) -> str:
    created = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)
    assert created.status_code == 201, created.text
    return f"{API}/households/{created.json()['id']}"


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


@contextmanager
def dropping(engine: Engine, side: Engine, at: str) -> Iterator[list[int]]:
    """End a connection's backend just before the first statement that starts with ``at``,
    or, for ``at="COMMIT"``, before the first commit; yields the backend ended."""
    dropped: list[int] = []

    def drop(connection: Any) -> None:
        if not dropped:
            dropped.append(connection.connection.dbapi_connection.info.backend_pid)
            terminate(side, dropped)

    def before_statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(at):
            drop(connection)

    name, listener = (
        ("commit", drop) if at == "COMMIT" else ("before_cursor_execute", before_statement)
    )
    event.listen(engine, name, listener)
    try:
        yield dropped
    finally:
        event.remove(engine, name, listener)


def records_of(side: Engine, request_id: str) -> list[tuple[int, str]]:
    with side.connect() as connection:
        found = connection.execute(
            text("SELECT status_code, outcome FROM audit_records WHERE request_id = :id"),
            {"id": request_id},
        )
        return [(row[0], row[1]) for row in found]


def test_a_read_on_a_connection_the_server_ended_is_served_and_audited_once(
    engine_name: str,
    client: TestClient,
    toegang: dict[str, str],
    household_path: str,
    live_engine: Engine,
    side: Engine,
) -> None:
    assert client.get(household_path, headers=toegang).status_code == 200
    assert live_engine.pool.checkedin() >= 1  # type: ignore[attr-defined]
    thrown_away = invalidations(live_engine)

    assert terminate(side)
    read = client.get(household_path, headers=toegang | {"X-Request-ID": "read"})

    assert read.status_code == 200, read.text
    assert read.json()["name"] == "Gezin Jansen"
    assert thrown_away, "the request did not meet a stale pooled connection"
    assert records_of(side, "read") == [(200, "success")]


def test_a_write_on_a_connection_the_server_ended_is_carried_out_once(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    thrown_away = invalidations(live_engine)

    assert terminate(side)
    created = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)

    assert created.status_code == 201, created.text
    assert thrown_away, "the request did not meet a stale pooled connection"
    assert scalar(side, "SELECT count(*) FROM households") == 1


def test_without_the_probe_a_read_on_a_stale_connection_runs_again_and_is_audited_once(
    engine_name: str,
    client: TestClient,
    toegang: dict[str, str],
    household_path: str,
    live_engine: Engine,
    side: Engine,
) -> None:
    """A connection the probe cannot see is gone (a moved address, a forgetful firewall)."""
    assert client.get(household_path, headers=toegang).status_code == 200
    event.remove(live_engine, "checkout", _replace_if_closed)
    thrown_away = invalidations(live_engine)
    assert terminate(side)

    read = client.get(household_path, headers=toegang | {"X-Request-ID": "stale-read"})

    assert read.status_code == 200, read.text
    assert thrown_away, "the request did not meet a stale pooled connection"
    assert records_of(side, "stale-read") == [(200, "success")]


def test_without_the_probe_a_write_on_a_stale_connection_answers_503_and_stores_nothing(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    event.remove(live_engine, "checkout", _replace_if_closed)
    assert terminate(side)

    failed = client.post(
        f"{API}/households", json=HOUSEHOLD, headers=toegang | {"X-Request-ID": "stale-write"}
    )

    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["retry-after"] == "5"
    assert failed.json()["status"] == 503
    assert scalar(side, "SELECT count(*) FROM households") == 0
    assert records_of(side, "stale-write") == [(503, "failed")]
    # The disconnect invalidated the whole pool: the next request connects anew.
    retried = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)
    assert retried.status_code == 201, retried.text
    assert scalar(side, "SELECT count(*) FROM households") == 1


@pytest.mark.parametrize("at", ["SELECT", "INSERT INTO audit_records"])
def test_a_read_whose_connection_drops_before_its_commit_runs_again_and_is_audited_once(
    engine_name: str,
    at: str,
    client: TestClient,
    toegang: dict[str, str],
    household_path: str,
    live_engine: Engine,
    side: Engine,
) -> None:
    with dropping(live_engine, side, at) as dropped:
        read = client.get(household_path, headers=toegang | {"X-Request-ID": "dropped-read"})

    assert dropped
    assert read.status_code == 200, read.text
    assert read.json()["name"] == "Gezin Jansen"
    assert records_of(side, "dropped-read") == [(200, "success")]


def test_a_read_whose_connection_drops_in_its_commit_answers_503_once(
    engine_name: str,
    client: TestClient,
    toegang: dict[str, str],
    household_path: str,
    live_engine: Engine,
    side: Engine,
) -> None:
    """The commit may have reached the server: running the read again could audit it twice."""
    with dropping(live_engine, side, "COMMIT") as dropped:
        read = client.get(household_path, headers=toegang | {"X-Request-ID": "dropped-commit"})

    assert dropped
    assert read.status_code == 503, read.text
    assert read.headers["content-type"] == "application/problem+json"
    assert read.headers["retry-after"] == "5"
    assert records_of(side, "dropped-commit") == [(503, "failed")]


def test_a_write_whose_connection_drops_midway_answers_503_and_stores_nothing(
    engine_name: str, client: TestClient, toegang: dict[str, str], live_engine: Engine, side: Engine
) -> None:
    assert client.get(f"{API}/households", headers=toegang).status_code == 200
    thrown_away = invalidations(live_engine)
    with dropping(live_engine, side, "INSERT INTO households") as dropped:
        failed = client.post(
            f"{API}/households", json=HOUSEHOLD, headers=toegang | {"X-Request-ID": "dropped"}
        )

    assert dropped
    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["retry-after"] == "5"
    assert failed.json()["status"] == 503
    assert "Traceback" not in failed.text
    assert scalar(side, "SELECT count(*) FROM households") == 0
    assert records_of(side, "dropped") == [(503, "failed")]
    assert thrown_away, "the pool kept the dropped connection"

    retried = client.post(f"{API}/households", json=HOUSEHOLD, headers=toegang)
    assert retried.status_code == 201, retried.text
    assert scalar(side, "SELECT count(*) FROM households") == 1
