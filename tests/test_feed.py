"""The change feed: CloudEvents in commit order, each reader its own events, cursors that
never skip and say 410 when they cannot go on."""

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gezinsplan.events import repository
from gezinsplan.events.feed import Cursor, Position
from gezinsplan.events.models import Event, FeedState
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member
from tests.test_indications import record, sync
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures

API = "/api/v1"
FEED = f"{API}/events"
CANARY_NAME = "CANARY-Feedname"
CANARY_BSN = "999990032"
TYPE = re.compile(r"^nl\.gezinsplan\.[a-z_]+\.[a-z_]+\.v1$")


def read_all(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every event the reader may see, page by page; asserts each page is well formed."""
    events: list[dict[str, Any]] = []
    after = None
    for _ in range(1000):
        query = params | ({"after": after} if after else {})
        response = client.get(FEED, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["events"])
        after = page["nextCursor"]
        if not page["more"]:
            return events
    raise AssertionError("the feed did not end")


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"].removeprefix("nl.gezinsplan.").removesuffix(".v1") for e in events]


def test_events_are_cloud_events_with_ids_only_in_feed_order(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    body = {"municipalityCode": "0193", "name": CANARY_NAME, "referralSource": "self"}
    household = client.post(f"{API}/households", json=body, headers=toegang).json()
    add_member(client, household["id"], toegang, givenName=CANARY_NAME, bsn=CANARY_BSN)
    events = read_all(client, toegang, limit=2)
    assert types_of(events) == ["household.opened", "plan.created", "member.added"]
    for event in events:
        assert event["specversion"] == "1.0"
        assert TYPE.match(event["type"]), event["type"]
        assert event["source"] == "urn:nld:gezinsplan:systeem:gezinsplan"
        assert event["subject"] == household["id"]
        assert event["datacontenttype"] == "application/json"
        assert set(event["data"]) == {"householdId", "resourceType", "resourceId"}
        assert client.get(event["dataref"], headers=toegang).status_code == 200
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(sequences)
    assert len({len(s) for s in sequences}) == 1  # zero-padded: text order is feed order
    assert len({e["id"] for e in events}) == 3
    text = json.dumps(events)
    assert CANARY_NAME not in text
    assert CANARY_BSN not in text


def test_an_empty_page_keeps_the_place_and_later_events_follow(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    first = client.get(FEED, headers=toegang).json()
    assert types_of(first["events"]) == ["household.opened", "plan.created"]
    empty = client.get(FEED, params={"after": first["nextCursor"]}, headers=toegang).json()
    assert (empty["events"], empty["more"]) == ([], False)
    assert empty["nextCursor"] == first["nextCursor"]
    add_member(client, household["id"], toegang)
    later = client.get(FEED, params={"after": empty["nextCursor"]}, headers=toegang).json()
    assert types_of(later["events"]) == ["member.added"]


def test_a_care_provider_sees_its_consented_categories_and_domains_judged_when_read(
    client: TestClient,
    toegang: dict[str, str],
    case: Case,  # noqa: F811
    directory: Directory,
    carla: dict[str, str],  # noqa: F811
) -> None:
    assert read_all(client, carla) == []  # a role, but no consent yet
    consent = give(client, case, directory, toegang)  # basic and plan, finances only
    seen = read_all(client, carla)
    goals = {e["data"]["resourceId"] for e in seen if e["data"]["resourceType"] == "goal"}
    assert goals == {case.finances["id"]}
    assert "member.added" in types_of(seen)
    assert not {"progress.reported", "role.ended"} & set(types_of(seen))
    # A consent given to another organization is not the provider's to see.
    other = give(client, case, directory, toegang, granteeOrganizationId=directory.youth_care)
    assert other["id"] not in {e["data"]["resourceId"] for e in read_all(client, carla)}
    # Withdrawn: nothing of the household reaches the provider, earlier events neither.
    withdrawn = client.post(
        f"{case.base}/consents/{consent['id']}/withdraw",
        json={"reason": "Gezin wil het niet meer"},
        headers=toegang,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    client.patch(
        f"{case.base}/plan/goals/{case.finances['id']}",
        json={"description": "Nieuw"},
        headers=toegang
        | {"If-Match": client.get(f"{case.base}/plan", headers=toegang).headers["ETag"]},
    )
    assert read_all(client, carla) == []
    assert "goal.updated" in types_of(read_all(client, toegang))


def test_a_partner_system_reads_as_its_organization_and_a_municipal_system_its_indications(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    case: Case,  # noqa: F811
    directory: Directory,
) -> None:
    partner = token("partner_system", org=uuid.UUID(directory.debt_help), sub="debt-system")
    assert read_all(client, partner) == []
    give(client, case, directory, toegang)
    assert "goal.added" in types_of(read_all(client, partner))
    zwolle = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    amsterdam = token("municipal_system", municipalities=("0363",), sub="amsterdam-system")
    sync(client, zwolle, record("FEED-1"))
    assert types_of(read_all(client, zwolle)) == ["indication.created"]
    assert read_all(client, amsterdam) == []


@pytest.mark.parametrize("roles", [("admin",), ("policy",), ("privacy_officer",)])
def test_roles_without_grounds_on_households_get_403(
    client: TestClient, token: Token, roles: tuple[str, ...]
) -> None:
    headers = token(*roles, municipalities=("0193",))
    response = client.get(FEED, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_types_filter_and_unknown_types(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    only = read_all(client, toegang, types="nl.gezinsplan.plan.created.v1")
    assert types_of(only) == ["plan.created"]
    response = client.get(FEED, params={"types": "nl.gezinsplan.nothing.v1"}, headers=toegang)
    assert response.status_code == 422
    assert response.json()["invalidParams"][0]["name"] == "query:types"


def _state(connection: Connection) -> FeedState:
    with Session(bind=connection) as session:
        found = session.get(FeedState, 1)
        assert found is not None
        session.expunge(found)
        return found


def test_cursors_that_cannot_go_on_answer_410_with_where_to_start(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    clock: Clock,
) -> None:
    page = client.get(FEED, headers=toegang).json()
    state = _state(connection)
    # Not a cursor at all: 422.
    bad = client.get(FEED, params={"after": "bm90LWEtY3Vyc29y"}, headers=toegang)
    assert bad.status_code == 422
    # Another epoch (a restored database).
    other = Cursor(uuid.uuid4(), Position(0, 1)).encode()
    gone = client.get(FEED, params={"after": other}, headers=toegang)
    assert gone.status_code == 410
    assert gone.json()["type"] == "urn:gezinsplan:problem:cursor-gone"
    assert Cursor.decode(gone.json()["oldestCursor"]) == Cursor(
        state.epoch, Position(state.purged_txid, state.purged_seq)
    )
    # Past the end of the feed (the database lost what the reader saw).
    last = Cursor.decode(page["nextCursor"])
    assert last is not None
    ahead = Cursor(state.epoch, Position(last.position.txid, last.position.seq + 1000))
    assert client.get(FEED, params={"after": ahead.encode()}, headers=toegang).status_code == 410
    # Expired: the events after it were purged.
    add_member(client, household["id"], toegang)
    clock.advance(timedelta(days=31))
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        # Three municipalities registered, the household opened, its plan, its member.
        assert repository.purge(session, timedelta(days=30)) == 6
        session.commit()
    expired = client.get(FEED, params={"after": page["nextCursor"]}, headers=toegang)
    assert expired.status_code == 410
    restart = expired.json()["oldestCursor"]
    assert client.get(FEED, params={"after": restart}, headers=toegang).json()["events"] == []


def test_events_of_unsettled_transactions_wait(connection: Connection) -> None:
    """The statement the feed filters by: on PostgreSQL an event of a transaction older than
    the oldest running one is settled, the reader's own too; SQLite has one writer."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        session.add(
            Event(type="household.updated", resource_type="household", resource_id=uuid.uuid4())
        )
        session.flush()
        rows = repository.committed_after(session, Position(), 10)
        assert [e.type for e in rows] == ["household.updated"]
        session.execute(update(Event).values(txid=Event.txid + 10**12))
        assert repository.committed_after(session, Position(), 10) == (
            [] if connection.dialect.name == "postgresql" else rows
        )
