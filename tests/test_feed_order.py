"""The feed under concurrent writers on PostgreSQL: no event is overtaken, none is skipped.

``seq`` is taken when an event is inserted, so a transaction that inserts early and commits
late would fall behind a reader that remembered the last ``seq``. These tests commit for
real, in a database of their own, from many connections at once.
"""

import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from gezinsplan.auth.actor import Actor, Role
from gezinsplan.auth.tokens import mint
from gezinsplan.config import Settings
from gezinsplan.db import make_engine
from gezinsplan.events.feed import Cursor
from gezinsplan.events.models import Event
from gezinsplan.events.pages import read_page
from gezinsplan.main import create_app
from tests.conftest import TEST_SECRET, alembic_config

pytestmark = [pytest.mark.postgresql_only, pytest.mark.parametrize("engine_name", ["postgresql"])]

WRITERS = 50
CHANGES = 200
EVENTS = Event.__table__  # type: ignore[attr-defined]
TEAM = uuid.UUID("00000000-0000-4000-8000-000000000193")
READER = Actor(
    sub="reader",
    name="Reader",
    org=TEAM,
    roles=frozenset({Role.TOEGANG}),
    municipalities=frozenset({"0193"}),
)


@pytest.fixture
def live(
    engine_name: str, create_database: Callable[[str], str], tmp_path: Path
) -> tuple[Engine, str, Settings]:
    """A database of its own with one household in Zwolle; its events are the reader's."""
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    settings = Settings(var_dir=tmp_path / "var", jwt_secret=TEST_SECRET, database_url=url)
    engine = make_engine(url, poolclass=NullPool)
    admin = {"Authorization": "Bearer " + mint(settings, sub="a", name="A", roles=["admin"])}
    jwt = mint(settings, sub="t", name="T", roles=["toegang"], municipalities=["0193"], org=TEAM)
    with TestClient(create_app(settings, bind=engine)) as client:
        body = {"kind": "municipality", "name": "Gemeente Zwolle", "municipalityCode": "0193"}
        assert client.post("/api/v1/organizations", json=body, headers=admin).status_code == 201
        household = client.post(
            "/api/v1/households",
            json={"municipalityCode": "0193", "name": "Gezin Feed", "referralSource": "self"},
            headers={"Authorization": f"Bearer {jwt}"},
        )
        assert household.status_code == 201, household.text
    return engine, household.json()["id"], settings


def _event(household_id: str) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "type": "household.updated",
        "household_id": uuid.UUID(household_id),
        "resource_type": "household",
        "resource_id": uuid.UUID(household_id),
        "scope": "basic",
    }


def _page(engine: Engine, settings: Settings, after: str | None) -> tuple[list[str], str, bool]:
    with Session(engine) as session, session.begin():
        page = read_page(session, READER, settings, after=after, types=(), limit=100)
    return [str(e.id) for e in page.events], page.next_cursor, page.more


def test_an_open_transaction_is_not_overtaken(live: tuple[Engine, str, Settings]) -> None:
    engine, household_id, settings = live
    seen, cursor, _ = _page(engine, settings, None)
    assert len(seen) == 2  # the household opened, its plan
    early, late = _event(household_id), _event(household_id)
    with engine.connect() as first:
        first.begin()
        first.execute(insert(EVENTS).values(early))  # inserted first, its transaction open
        with engine.begin() as second:
            second.execute(insert(EVENTS).values(late))  # inserted and committed after it
        events, behind, _ = _page(engine, settings, cursor)
        assert events == []  # the later commit waits for the open transaction
        assert behind == cursor
        first.commit()
    events, _, _ = _page(engine, settings, cursor)
    assert events == [str(early["id"]), str(late["id"])]


def test_concurrent_writers_are_read_exactly_once(live: tuple[Engine, str, Settings]) -> None:
    """50 writers of 200 changes, each its own transaction, some held open a moment, some
    rolled back, while a reader pages the feed: every committed event exactly once."""
    engine, household_id, settings = live
    _, start, _ = _page(engine, settings, None)
    committed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        chance = random.Random(seed)
        try:
            with engine.connect() as connection:
                for _ in range(CHANGES):
                    row = _event(household_id)
                    connection.begin()
                    connection.execute(insert(EVENTS).values(row))
                    if chance.random() < 0.1:  # held open while others commit
                        time.sleep(0.01 + chance.random() / 20)
                    if chance.random() < 0.05:
                        connection.rollback()
                        continue
                    connection.commit()
                    with lock:
                        committed.append(str(row["id"]))
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    read: list[str] = []
    cursor = start
    while any(w.is_alive() for w in writers):
        events, cursor, _ = _page(engine, settings, cursor)
        read.extend(events)
    for writer in writers:
        writer.join()
    assert errors == []
    more = True
    while more:
        events, cursor, more = _page(engine, settings, cursor)
        read.extend(events)
    assert len(read) == len(set(read)), "an event was read twice"
    assert set(read) == set(committed)
    assert len(committed) > WRITERS * CHANGES * 0.9
    assert Cursor.decode(cursor) is not None
