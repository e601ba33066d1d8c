"""The household list's name search reads the words stored per household: they follow every
change to a household's or a member's name in the same request, on both engines."""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection

from gezinsplan.db import make_engine
from gezinsplan.households.search import repository as search
from gezinsplan.households.search.repository import name_matches, refresh_name_words
from tests.conftest import alembic_config
from tests.test_consents import add_member as add_member_by_api
from tests.test_households import open_household
from tests.test_migrations import add_household, add_member, add_zwolle, households

API = "/api/v1/households"


@pytest.fixture
def found(client: TestClient, toegang: dict[str, str]) -> Any:
    def names(q: str) -> list[str]:
        response = client.get(API, params={"q": q}, headers=toegang)
        assert response.status_code == 200, response.text
        return [h["name"] for h in response.json()["items"]]

    return names


def test_a_member_is_found_by_the_beginning_of_their_given_and_family_name(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    open_household(client, toegang, "Gezin Smit")
    assert found("noor") == []
    add_member_by_api(client, household["id"], toegang, givenName="Noor", familyName="van Dijk")
    assert found("noor") == ["Gezin Jansen"], "found once the member is added"
    assert found("dij") == ["Gezin Jansen"]
    assert found("no va di") == ["Gezin Jansen"]
    assert found("jans dijk") == ["Gezin Jansen"], "words of the household's and a member's name"
    assert found("noor smit") == [], "not words of two households"
    assert found(household["id"].replace("-", "")) == [], "only names are searched"


def test_the_search_follows_renames_of_the_household_and_its_members(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    member = add_member_by_api(
        client, household["id"], toegang, givenName="Noor", familyName="Bakker"
    )
    url = f"{API}/{household['id']}"
    renamed = client.patch(
        url, json={"name": "Gezin Visser"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert found("jansen") == []
    assert found("visser noor") == ["Gezin Visser"], "the members' words stay"

    member_url = f"{url}/members/{member['id']}"
    changed = client.patch(
        member_url, json={"familyName": "de Wit"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert found("bakker") == []
    assert found("wit") == ["Gezin Visser"]
    unnamed = client.patch(
        member_url, json={"isGuardian": False}, headers={**toegang, "If-Match": '"2"'}
    )
    assert unnamed.status_code == 200, unnamed.text
    assert found("noor wit") == ["Gezin Visser"]

    assert client.delete(member_url, headers=toegang).status_code == 204
    assert found("noor") == [], "not after the member left"
    assert found("wit") == []
    assert found("visser") == ["Gezin Visser"]


def test_diacritics_do_not_count(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    add_member_by_api(client, household["id"], toegang, givenName="Çiğdem", familyName="Özdemir")
    open_household(client, toegang, "Gezin Brontë-Müller")
    assert found("ozd") == ["Gezin Jansen"]
    assert found("ÖZDEMIR") == ["Gezin Jansen"]
    assert found("cigd") == ["Gezin Jansen"]
    assert found("muller") == ["Gezin Brontë-Müller"]
    assert found("brontë") == ["Gezin Brontë-Müller"]


@pytest.mark.parametrize(
    "q",
    [
        'jansen"',
        '"jansen',
        "jan* OR x",
        "NOT jansen",
        "jansen:*",
        "jansen & !x | y",
        "household_id : x",
        "words : (x)",
        "NEAR(jansen x)",
        "'jansen'",
        "^jansen",
        "jansen -x",
        "(jansen",
        "jansen)",
        "{words}: jansen",
        "\\",
    ],
)
def test_search_operators_are_words_or_nothing_never_an_error(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], q: str
) -> None:
    response = client.get(API, params={"q": q}, headers=toegang)
    assert response.status_code == 200, response.text


def test_members_added_at_once_by_two_transactions_are_both_found(
    engine_name: str, create_database: Callable[[str], str]
) -> None:
    """The second refresh waits for the first transaction and then reads its member too."""
    if engine_name == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time")
    url = create_database(engine_name)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            add_zwolle(connection)
            household_id = add_household(connection, "Gezin Jansen")

        def add(connection: Connection, given_name: str) -> None:
            add_member(connection, household_id, None, given_name=given_name)
            refresh_name_words(connection, [household_id])

        failures: list[BaseException] = []

        def second() -> None:
            try:
                with engine.begin() as connection:
                    add(connection, "Bram")
            except BaseException as failure:  # the test reports it, not the thread
                failures.append(failure)

        with engine.connect() as first:
            first.begin()
            add(first, "Anna")
            waiting = threading.Thread(target=second)
            waiting.start()
            _wait_for_a_lock_wait(engine)
            first.commit()
            waiting.join(timeout=30)
        assert not waiting.is_alive()
        assert failures == []

        with engine.connect() as connection:
            for given_name in ("anna", "bram"):
                matches = name_matches(engine_name, given_name)
                found = connection.scalars(select(households.c.id).where(matches)).all()
                assert found == [household_id], given_name
    finally:
        engine.dispose()


def _wait_for_a_lock_wait(engine: Engine) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as connection:
        for _ in range(600):
            if connection.execute(waiting).scalar():
                return
            connection.rollback()  # a transaction sees one snapshot of pg_stat_activity
            time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first")


@pytest.mark.parametrize("kept", [search.PREFIX_LENGTH, 3])
def test_a_search_finds_the_same_pages_whichever_word_it_walks(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    found: Any,
    monkeypatch: pytest.MonkeyPatch,
    kept: int,
) -> None:
    """The longest word is walked in page order, the others looked up; with three letters
    kept, longer words are also checked against the stored words: the same households, in
    the same order and pages, either way."""
    monkeypatch.setattr(search, "PREFIX_LENGTH", kept)
    for name in ("Gezin Bakker", "Gezin de Bakker", "Gezin Smit", "Gezin Bakkerus"):
        open_household(client, toegang, name)
    assert found("bakk") == ["Gezin Bakker", "Gezin de Bakker", "Gezin Bakkerus"]
    assert found("gezin bakker") == ["Gezin Bakker", "Gezin de Bakker", "Gezin Bakkerus"]
    assert found("bakker ge") == ["Gezin Bakker", "Gezin de Bakker", "Gezin Bakkerus"]
    assert found("bakkeru") == ["Gezin Bakkerus"]
    assert found("de bakker") == ["Gezin de Bakker"]
    assert found("smi") == ["Gezin Smit"]
    assert found("smit bakker") == []
    assert found("zwanenburg") == []
    first = client.get(API, params={"q": "gezin", "limit": 2}, headers=toegang).json()
    rest = client.get(
        API, params={"q": "gezin", "limit": 2, "cursor": first["nextCursor"]}, headers=toegang
    ).json()
    names = [h["name"] for h in first["items"] + rest["items"]]
    assert names == ["Gezin Jansen", "Gezin Bakker", "Gezin de Bakker", "Gezin Smit"]
    first = client.get(API, params={"q": "bakker", "limit": 2}, headers=toegang).json()
    rest = client.get(
        API, params={"q": "bakker", "limit": 2, "cursor": first["nextCursor"]}, headers=toegang
    ).json()
    names = [h["name"] for h in first["items"] + rest["items"]]
    assert names == ["Gezin Bakker", "Gezin de Bakker", "Gezin Bakkerus"]
    assert rest["nextCursor"] is None


def test_a_word_longer_than_the_kept_beginnings_is_matched_whole(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], found: Any
) -> None:
    """Only the first ``PREFIX_LENGTH`` letters are kept as beginnings; the rest of a longer
    word is checked against the stored words."""
    open_household(client, toegang, "Gezin Wassenaarsdijkhoven")
    open_household(client, toegang, "Gezin Wassenaarsdijkstra")
    assert len("wassenaarsdijk") > search.PREFIX_LENGTH
    assert found("wassenaarsdijk") == ["Gezin Wassenaarsdijkhoven", "Gezin Wassenaarsdijkstra"]
    assert found("wassenaarsdijkh") == ["Gezin Wassenaarsdijkhoven"]
    assert found("gezin wassenaarsdijkst") == ["Gezin Wassenaarsdijkstra"]
    assert found("wassenaarsdijkhovenx") == []


def test_the_kept_beginnings_are_those_of_the_names_as_they_are_now(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
) -> None:
    """A household's rows of ``household_prefixes`` follow its names, in the same request:
    the old names' beginnings go, and each row carries its household's place in the list."""
    member = add_member_by_api(
        client, household["id"], toegang, givenName="Noor", familyName="Özdemir"
    )
    url = f"{API}/{household['id']}"
    renamed = client.patch(
        url, json={"name": "Gezin Visser"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert client.delete(f"{url}/members/{member['id']}", headers=toegang).status_code == 204
    kept = connection.execute(
        select(
            search.household_prefixes.c.prefix,
            search.household_prefixes.c.created_at,
            search.household_prefixes.c.household_id,
        )
    ).all()
    names = "Gezin Visser " + " ".join(
        f"{m['givenName']} {m['familyName']}"
        for m in client.get(f"{url}/members", headers=toegang).json()["items"]
    )
    assert {prefix for prefix, _, _ in kept} == search.prefixes(names)
    assert not {"jansen", "noor", "ozdemir"} & {prefix for prefix, _, _ in kept}
    created = connection.execute(
        select(households.c.created_at).where(households.c.id == uuid.UUID(household["id"]))
    ).scalar_one()
    assert {(at, str(id_)) for _, at, id_ in kept} == {(created, household["id"])}


def test_refreshing_every_household_keeps_what_the_services_keep(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
) -> None:
    """The benchmark's refresh after its bulk writes keeps the same beginnings, with the same
    places in the list, as the services' refresh of one household at a time."""
    add_member_by_api(client, household["id"], toegang, givenName="Çiğdem", familyName="Özdemir")
    open_household(client, toegang, "Gezin van den Berg-Wassenaarsdijkhoven")
    every = select(*search.household_prefixes.c)
    kept = set(connection.execute(every).all())
    assert kept
    search.refresh_every_household(connection)
    assert set(connection.execute(every).all()) == kept
