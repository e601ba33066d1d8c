"""Members: add, validate (BSN 11-test, birth date, adult guardians), one open household per
person, change with If-Match, remove; and every write leaves an event without personal data."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import gezinsplan.models  # noqa: F401 - every table in the metadata
from gezinsplan.kit.clock import today
from gezinsplan.members.models import Member
from tests.conftest import Clock, Token

HOUSEHOLDS = "/api/v1/households"
PROBLEM = "application/problem+json"


def person(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "givenName": "Sanne",
        "familyName": "Jansen",
        "birthDate": "1986-04-12",
        "relation": "parent",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def members_url(household: dict[str, Any]) -> str:
    return f"{HOUSEHOLDS}/{household['id']}/members"


def open_household(client: TestClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    response = client.post(
        HOUSEHOLDS,
        json={"municipalityCode": "0193", "name": name, "referralSource": "municipal_access"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add(
    client: TestClient, headers: dict[str, str], household: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    response = client.post(members_url(household), json=person(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def listed(client: TestClient, headers: dict[str, str], household: dict[str, Any]) -> list[Any]:
    response = client.get(members_url(household), headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def member_rows(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(Member)).scalar_one())


def member_events(connection: Connection) -> list[tuple[Any, ...]]:
    events = SQLModel.metadata.tables["events"]
    statement = (
        select(events.c.type, events.c.household_id, events.c.resource_type, events.c.resource_id)
        .where(events.c.type.like("member.%"))
        .order_by(events.c.seq)
    )
    return [tuple(row) for row in connection.execute(statement)]


def assert_invalid(response: Any, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert name in [p["name"] for p in response.json()["invalidParams"]]


def years_ago(years: int) -> date:
    """A birth date exactly ``years`` years ago (no leap-day trouble: day 1 of this month)."""
    day = today()
    return date(day.year - years, day.month, 1)


# --- adding ----------------------------------------------------------------------------------


def test_add_member_returns_it_with_etag_and_location(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    response = client.post(
        members_url(household),
        json=person(bsn="111222333", isGuardian=True),
        headers=toegang,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{members_url(household)}/{body['id']}"
    assert body["householdId"] == household["id"]
    assert body["bsn"] == "111222333"
    assert body["isGuardian"] is True
    assert body["birthDate"] == "1986-04-12"
    assert body["version"] == 1
    assert listed(client, toegang, household) == [body]


@pytest.mark.parametrize("bsn", ["111222333", "123456782"])
def test_a_bsn_that_passes_the_11_test_is_accepted(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], bsn: str
) -> None:
    assert add(client, toegang, household, bsn=bsn)["bsn"] == bsn


@pytest.mark.parametrize(
    "bsn", ["123456789", "111222334", "12345678", "1234567820", "12345678a", " 11122233", 111222333]
)
def test_an_invalid_bsn_is_422_naming_it(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    bsn: Any,
) -> None:
    before = member_rows(connection)
    response = client.post(members_url(household), json=person(bsn=bsn), headers=toegang)
    assert_invalid(response, "body:bsn")
    assert member_rows(connection) == before


@pytest.mark.parametrize(
    "birth_date",
    [
        timedelta(days=1),  # days from today
        timedelta(days=3650),
        "1899-12-31",
        "2020-02-30",
        "12-04-1986",
        "1986-04-12T00:00:00",
    ],
)
def test_an_impossible_birth_date_is_422(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    clock: Clock,
    birth_date: str | timedelta,
) -> None:
    if isinstance(birth_date, timedelta):
        birth_date = (clock.today() + birth_date).isoformat()
    before = member_rows(connection)
    response = client.post(
        members_url(household), json=person(birthDate=birth_date), headers=toegang
    )
    assert_invalid(response, "body:birthDate")
    assert member_rows(connection) == before


def test_a_guardian_must_be_an_adult(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    before = member_rows(connection)
    minor = person(birthDate=years_ago(17).isoformat(), relation="child", isGuardian=True)
    response = client.post(members_url(household), json=minor, headers=toegang)
    assert_invalid(response, "body:isGuardian")
    assert member_rows(connection) == before
    assert member_events(connection) == []

    adult = add(client, toegang, household, birthDate=years_ago(18).isoformat(), isGuardian=True)
    assert adult["isGuardian"] is True


def test_a_child_cannot_be_made_a_guardian_later(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    child = add(client, toegang, household, birthDate=years_ago(10).isoformat(), relation="child")
    url = f"{members_url(household)}/{child['id']}"
    response = client.patch(url, json={"isGuardian": True}, headers={**toegang, "If-Match": '"1"'})
    assert_invalid(response, "body:isGuardian")
    assert listed(client, toegang, household) == [child], "the refused change left no trace"


def test_adding_to_a_closed_household_is_409(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    closed = client.post(
        f"{HOUSEHOLDS}/{household['id']}/close",
        json={"closingReason": "moved_away"},
        headers=toegang,
    )
    assert closed.status_code == 200
    response = client.post(members_url(household), json=person(), headers=toegang)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert member_rows(connection) == 0


# --- one open household per person -----------------------------------------------------------


def test_a_person_is_in_one_open_household_at_a_time(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    first = add(client, toegang, household, bsn="111222333")
    second = open_household(client, toegang, "Gezin Willems")

    duplicate = client.post(members_url(second), json=person(bsn="111222333"), headers=toegang)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.headers["content-type"] == PROBLEM
    assert listed(client, toegang, second) == []
    assert member_rows(connection) == 1
    assert [e[0] for e in member_events(connection)] == ["member.added"]

    # Without a BSN (or with another one) the same name is simply another person.
    assert add(client, toegang, second, bsn="123456782")["bsn"] == "123456782"

    # Once the first household is closed, the person may join another open household ...
    closed = client.post(
        f"{HOUSEHOLDS}/{household['id']}/close",
        json={"closingReason": "moved_away"},
        headers=toegang,
    )
    assert closed.status_code == 200
    moved = add(client, toegang, second, bsn="111222333", givenName="Sanne")
    assert moved["householdId"] == second["id"]

    # ... and the first household cannot be reopened while they are there.
    reopen = client.post(
        f"{HOUSEHOLDS}/{household['id']}/reopen", json={"referralSource": "self"}, headers=toegang
    )
    assert reopen.status_code == 409, reopen.text
    assert reopen.headers["content-type"] == PROBLEM
    after = client.get(f"{HOUSEHOLDS}/{household['id']}", headers=toegang).json()
    assert after["status"] == "closed"
    assert after["version"] == closed.json()["version"]
    assert listed(client, toegang, household) == [first]

    # When they leave the second household, the first can be reopened.
    left = client.delete(f"{members_url(second)}/{moved['id']}", headers=toegang)
    assert left.status_code == 204
    reopened = client.post(
        f"{HOUSEHOLDS}/{household['id']}/reopen", json={"referralSource": "self"}, headers=toegang
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"


def test_changing_a_bsn_to_one_in_another_open_household_is_409(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    add(client, toegang, household, bsn="111222333")
    second = open_household(client, toegang, "Gezin Willems")
    other = add(client, toegang, second, bsn="123456782")
    url = f"{members_url(second)}/{other['id']}"
    response = client.patch(url, json={"bsn": "111222333"}, headers={**toegang, "If-Match": '"1"'})
    assert response.status_code == 409, response.text
    assert listed(client, toegang, second) == [other], "nothing changed, not even the version"


# --- changing ---------------------------------------------------------------------------------


def test_patch_member_needs_if_match_and_refuses_a_stale_one(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    member = add(client, toegang, household)
    url = f"{members_url(household)}/{member['id']}"

    missing = client.patch(url, json={"givenName": "Sanna"}, headers=toegang)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == PROBLEM

    first = client.patch(url, json={"givenName": "Sanna"}, headers={**toegang, "If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert first.json()["givenName"] == "Sanna"
    assert first.json()["familyName"] == "Jansen", "fields not sent are kept"
    assert first.json()["version"] == 2

    stale = client.patch(url, json={"givenName": "Sam"}, headers={**toegang, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    assert listed(client, toegang, household)[0]["givenName"] == "Sanna"


def test_bsn_null_removes_the_bsn_and_frees_the_person(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    member = add(client, toegang, household, bsn="111222333")
    url = f"{members_url(household)}/{member['id']}"
    response = client.patch(url, json={"bsn": None}, headers={**toegang, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["bsn"] is None
    assert listed(client, toegang, household)[0]["bsn"] is None
    second = open_household(client, toegang, "Gezin Willems")
    assert add(client, toegang, second, bsn="111222333")["bsn"] == "111222333"


@pytest.mark.parametrize(
    "field", ["givenName", "familyName", "birthDate", "relation", "isGuardian"]
)
def test_a_required_field_cannot_be_removed(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], field: str
) -> None:
    member = add(client, toegang, household)
    url = f"{members_url(household)}/{member['id']}"
    response = client.patch(url, json={field: None}, headers={**toegang, "If-Match": '"1"'})
    assert_invalid(response, f"body:{field}")
    assert listed(client, toegang, household) == [member]


def test_patch_refuses_unknown_and_invalid_fields(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    member = add(client, toegang, household)
    url = f"{members_url(household)}/{member['id']}"
    headers = {**toegang, "If-Match": '"1"'}
    assert_invalid(
        client.patch(url, json={"householdId": str(uuid.uuid4())}, headers=headers),
        "body:householdId",
    )
    assert_invalid(client.patch(url, json={"bsn": "123456789"}, headers=headers), "body:bsn")
    assert_invalid(client.patch(url, json={"relation": "cousin"}, headers=headers), "body:relation")
    assert listed(client, toegang, household) == [member]


# --- removing ---------------------------------------------------------------------------------


def test_delete_member(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    keep = add(client, toegang, household, givenName="Kees")
    gone = add(client, toegang, household, givenName="Gijs")
    url = f"{members_url(household)}/{gone['id']}"

    response = client.delete(url, headers=toegang)
    assert response.status_code == 204
    assert response.content == b""
    assert listed(client, toegang, household) == [keep]
    again = client.delete(url, headers=toegang)
    assert again.status_code == 404
    assert again.headers["content-type"] == PROBLEM
    assert (
        client.patch(
            url, json={"givenName": "X"}, headers={**toegang, "If-Match": '"1"'}
        ).status_code
        == 404
    )


def test_delete_with_a_stale_if_match_is_412(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    member = add(client, toegang, household)
    url = f"{members_url(household)}/{member['id']}"
    changed = client.patch(url, json={"givenName": "Sanna"}, headers={**toegang, "If-Match": '"1"'})
    assert changed.status_code == 200

    stale = client.delete(url, headers={**toegang, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    assert [m["id"] for m in listed(client, toegang, household)] == [member["id"]]

    current = client.delete(url, headers={**toegang, "If-Match": '"2"'})
    assert current.status_code == 204
    assert listed(client, toegang, household) == []


# --- events -----------------------------------------------------------------------------------


def test_every_member_write_leaves_an_event_without_personal_data(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], connection: Connection
) -> None:
    member = add(client, toegang, household, bsn="111222333", givenName="Sanne")
    url = f"{members_url(household)}/{member['id']}"
    updated = client.patch(
        url, json={"familyName": "Bakker"}, headers={**toegang, "If-Match": '"1"'}
    )
    assert updated.status_code == 200
    # Refused writes leave no event.
    assert (
        client.patch(
            url, json={"givenName": "X"}, headers={**toegang, "If-Match": '"1"'}
        ).status_code
        == 412
    )
    assert (
        client.post(
            members_url(household), json=person(bsn="123456789"), headers=toegang
        ).status_code
        == 422
    )
    assert client.delete(url, headers=toegang).status_code == 204

    household_id = uuid.UUID(household["id"])
    member_id = uuid.UUID(member["id"])
    assert member_events(connection) == [
        ("member.added", household_id, "member", member_id),
        ("member.updated", household_id, "member", member_id),
        ("member.removed", household_id, "member", member_id),
    ]

    columns = {c["name"] for c in inspect(connection).get_columns("events")}
    assert columns == {
        "seq",
        "type",
        "occurred_at",
        "household_id",
        "resource_type",
        "resource_id",
        "organization_id",
        "addressee_id",
        "id",
        "txid",
        "scope",
        "life_domain",
    }, "events name ids, never personal data"
    stored = " ".join(
        str(value)
        for row in connection.execute(select(SQLModel.metadata.tables["events"]))
        for value in row
    )
    for personal in ("111222333", "Sanne", "Jansen", "Bakker", "1986-04-12"):
        assert personal not in stored


def test_the_location_of_a_new_member_reads_it_back(
    client: TestClient, toegang: dict[str, str], token: Token, household: dict[str, Any]
) -> None:
    body = {
        "givenName": "Noor",
        "familyName": "Jansen",
        "birthDate": "2014-02-20",
        "relation": "child",
    }
    created = client.post(
        f"/api/v1/households/{household['id']}/members", json=body, headers=toegang
    )
    assert created.status_code == 201
    read = client.get(created.headers["location"], headers=toegang)
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read.headers["etag"] == created.headers["etag"]
    outsider = token("toegang", municipalities=("0363",))
    assert client.get(created.headers["location"], headers=outsider).status_code == 404
