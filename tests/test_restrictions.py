"""Restriction of processing (issue 19, point 6; AVG art. 18): while a restriction of the
household or of a member holds, care providers and machine clients reach none of it (the 404
of invisible data, no event, nothing in the export), the access team, the regisseur, the
family and the privacy officer see all as before; the officer of the municipality places and
lifts it."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from gezinsplan.db import SessionFactory
from gezinsplan.webhooks.worker import DeliveryWorker
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member
from tests.test_feed import read_all
from tests.test_indications import SANNE, record, sync
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures
from tests.test_webhook_delivery import (  # noqa: F401 - fixtures
    Callback,
    Subscribe,
    callback,
    deliveries,
    drain,
    factory,
    receiver,
    subscribe,
    worker,
    written_after,
)
from tests.webhook_receiver import Receiver

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
Headers = dict[str, str]
EVERYTHING = ["basic", "plan", "progress", "indications"]


@pytest.fixture
def officer(token: Token) -> Headers:
    return token("privacy_officer", municipalities=("0193",), sub="fg-zwolle")


@pytest.fixture
def zwolle(token: Token) -> Headers:
    return token("municipal_system", municipalities=("0193",), sub="zwolle-system")


@pytest.fixture
def shared(
    client: TestClient,
    toegang: Headers,
    case: Case,  # noqa: F811
    directory: Directory,
    zwolle: Headers,
) -> Case:
    """The sharing case with a consent to the debt-help organization for everything and a
    progress report on the finances goal."""
    give(client, case, directory, toegang, categories=EVERYTHING, lifeDomains=[])
    goal = case.finances["id"]
    reported = client.post(
        f"{case.base}/plan/goals/{goal}/progress",
        json={"text": "Betaalplan loopt.", "reportedOn": "2026-11-01"},
        headers=toegang,
    )
    assert reported.status_code == 201, reported.text
    return case


@pytest.fixture
def daan(client: TestClient, toegang: Headers, shared: Case, zwolle: Headers) -> dict[str, Any]:
    """A child of the household with an indication (linked by his BSN)."""
    child = add_member(
        client,
        shared.base.rsplit("/", 1)[1],
        toegang,
        givenName="Daan",
        bsn=SANNE,
        relation="child",
        birthDate="2015-03-01",
    )
    assert sync(client, zwolle, record("R-1"))["results"][0]["linked"] is True
    return child


def restrict(client: TestClient, target: Case, officer: Headers, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{target.base}/restrictions",
        json={"reason": "De juistheid wordt betwist."} | body,
        headers=officer,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{target.base}/restrictions/{response.json()['id']}"
    placed: dict[str, Any] = response.json()
    return placed


def lift(
    client: TestClient, target: Case, officer: Headers, restriction: dict[str, Any], **body: Any
) -> Any:
    return client.post(
        f"{target.base}/restrictions/{restriction['id']}/lift",
        json={"reason": "Gecorrigeerd.", "familyInformedOn": "2026-11-01"} | body,
        headers=officer,
    )


def provider_paths(target: Case) -> list[str]:
    return [
        "",
        "/plan",
        f"/plan/goals/{target.finances['id']}",
        "/progress",
        "/members",
        f"/members/{target.parent['id']}",
        "/consents",
        "/indications",
        "/export",
    ]


def ids(client: TestClient, url: str, headers: Headers) -> set[str]:
    response = client.get(url, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_a_restricted_household_is_404_to_its_care_provider_and_whole_to_the_access_team(
    client: TestClient,
    toegang: Headers,
    shared: Case,
    daan: dict[str, Any],
    carla: Headers,  # noqa: F811
    officer: Headers,
    clock: Clock,
) -> None:
    for path in provider_paths(shared):
        assert client.get(shared.base + path, headers=carla).status_code == 200, path
    before = {p: client.get(shared.base + p, headers=toegang).json() for p in ("", "/plan")}
    placed = restrict(client, shared, officer)
    assert placed["active"] is True
    assert placed["memberId"] is None
    assert placed["placedBy"] == "fg-zwolle"
    nowhere = client.get(f"{API}/households/{uuid.uuid4()}", headers=carla)
    for path in provider_paths(shared):
        answer = client.get(shared.base + path, headers=carla)
        assert answer.status_code == 404, path
        assert answer.json()["detail"] == nowhere.json()["detail"], path
    listed = client.get(f"{API}/households", params={"limit": 100}, headers=carla)
    assert shared.base.rsplit("/", 1)[1] not in listed.text
    # Art. 18: only storage; the provider cannot report progress on it either.
    goal = shared.finances["id"]
    report = client.post(
        f"{shared.base}/plan/goals/{goal}/progress",
        json={"text": "Nog een gesprek.", "reportedOn": "2026-11-02"},
        headers=carla,
    )
    assert report.status_code == 404
    # The access team sees everything as before.
    for path, body in before.items():
        assert client.get(shared.base + path, headers=toegang).json() == body
    assert daan["id"] in ids(client, f"{shared.base}/members", toegang)
    # Lifted: the provider's view returns.
    clock.advance(timedelta(days=1))
    lifted = lift(client, shared, officer, placed, familyInformedOn=clock.today().isoformat())
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["active"] is False
    assert lifted.json()["liftedBy"] == "fg-zwolle"
    assert lifted.json()["familyInformedOn"] == clock.today().isoformat()
    for path in provider_paths(shared):
        assert client.get(shared.base + path, headers=carla).status_code == 200, path


def test_a_restricted_member_is_left_out_of_what_the_care_provider_reads(
    client: TestClient,
    toegang: Headers,
    shared: Case,
    daan: dict[str, Any],
    carla: Headers,  # noqa: F811
    officer: Headers,
) -> None:
    indications = ids(client, f"{shared.base}/indications", carla)
    assert len(indications) == 1
    placed = restrict(client, shared, officer, memberId=daan["id"])
    assert placed["memberId"] == daan["id"]
    assert ids(client, f"{shared.base}/members", carla) == {shared.parent["id"]}
    member = client.get(f"{shared.base}/members/{daan['id']}", headers=carla)
    assert member.status_code == 404
    assert ids(client, f"{shared.base}/indications", carla) == set()
    exported = client.get(f"{shared.base}/export", headers=carla)
    assert exported.status_code == 200
    assert daan["id"] not in exported.text
    assert SANNE not in exported.text
    fhir = client.get(f"{shared.base}/export", headers=carla | {"Accept": "application/fhir+json"})
    assert fhir.status_code == 200
    assert daan["id"] not in fhir.text
    # The rest of the household stays the provider's, and all of it the access team's.
    assert client.get(f"{shared.base}/plan", headers=carla).status_code == 200
    assert ids(client, f"{shared.base}/members", toegang) == {shared.parent["id"], daan["id"]}
    assert ids(client, f"{shared.base}/indications", toegang) == indications
    assert daan["id"] in client.get(f"{shared.base}/export", headers=toegang).text


def test_a_restricted_member_is_not_found_by_name_until_the_restriction_is_lifted(
    client: TestClient,
    toegang: Headers,
    shared: Case,
    daan: dict[str, Any],
    carla: Headers,  # noqa: F811
    officer: Headers,
) -> None:
    household = shared.base.rsplit("/", 1)[1]

    def found(search: str) -> dict[str, bool]:
        listed = {}
        for name, headers in (("toegang", toegang), ("carla", carla)):
            response = client.get(f"{API}/households", params={"q": search}, headers=headers)
            assert response.status_code == 200, response.text
            listed[name] = household in {item["id"] for item in response.json()["items"]}
        return listed

    everyone = {"toegang": True, "carla": True}
    nobody = {"toegang": False, "carla": False}
    assert found("Daan") == found("Da") == everyone
    placed = restrict(client, shared, officer, memberId=daan["id"])
    # Finding the household by the member's name would process it (AVG art. 18); by the
    # others' names it is found as before, and the access team still reads the member.
    assert found("Daan") == found("Daa") == nobody
    assert found(shared.parent["familyName"]) == everyone
    assert daan["id"] in ids(client, f"{shared.base}/members", toegang)
    assert lift(client, shared, officer, placed).status_code == 200
    assert found("Daan") == everyone


def test_the_feed_shows_no_event_of_a_restricted_household_or_about_a_restricted_member(
    client: TestClient,
    token: Token,
    toegang: Headers,
    shared: Case,
    daan: dict[str, Any],
    carla: Headers,  # noqa: F811
    officer: Headers,
    zwolle: Headers,
    directory: Directory,
) -> None:
    partner = token("partner_system", org=uuid.UUID(directory.debt_help), sub="debt-system")
    household_id = shared.base.rsplit("/", 1)[1]

    def about(events: list[dict[str, Any]]) -> set[str]:
        return {e["data"]["resourceId"] for e in events}

    readers = (carla, partner, zwolle)
    assert all(daan["id"] in about(read_all(client, r)) for r in (carla, partner))
    indication = ids(client, f"{shared.base}/indications", toegang).pop()
    assert indication in about(read_all(client, zwolle))
    # One member restricted: nothing about Daan, the rest of the household as before.
    member = restrict(client, shared, officer, memberId=daan["id"])
    for reader in readers:
        seen = about(read_all(client, reader))
        assert not {daan["id"], indication} & seen
    assert shared.parent["id"] in about(read_all(client, carla))
    # The whole household: no event of it, earlier ones and those while it holds alike.
    whole = restrict(client, shared, officer)
    sync(client, zwolle, record("R-1", volume=5))
    client.post(
        f"{shared.base}/plan/goals",
        json={"lifeDomain": "housing", "description": "Woning", "zrmStart": 2, "zrmTarget": 4},
        headers=toegang,
    )
    for reader in readers:
        events = read_all(client, reader)
        assert [e for e in events if e["data"].get("householdId") == household_id] == []
        assert not {daan["id"], indication, shared.parent["id"]} & about(events)
    # Placing and lifting publish nothing; the access team sees every event as before.
    everything = read_all(client, toegang)
    assert not {member["id"], whole["id"]} & about(everything)
    assert {daan["id"], indication} <= about(everything)
    assert lift(client, shared, officer, whole).status_code == 200
    assert lift(client, shared, officer, member).status_code == 200
    assert {daan["id"], indication} <= about(read_all(client, carla))


def test_only_the_officer_of_the_municipality_places_and_lifts_and_the_family_reads(
    client: TestClient,
    token: Token,
    toegang: Headers,
    shared: Case,
    carla: Headers,  # noqa: F811
    officer: Headers,
) -> None:
    resident = token("resident", member=uuid.UUID(shared.parent["id"]), sub="sanne")
    amsterdam = token("privacy_officer", municipalities=("0363",), sub="fg-amsterdam")
    regisseur_free = token("toegang", municipalities=("0363",), sub="elders")
    url = f"{shared.base}/restrictions"
    body = {"reason": "Betwist."}
    nowhere = client.post(
        f"{API}/households/{uuid.uuid4()}/restrictions", json=body, headers=officer
    )
    assert nowhere.status_code == 404
    # Who reads the household's restrictions is refused (403); anyone else gets the 404.
    for headers, status in (
        (resident, 403),
        (toegang, 403),
        (carla, 404),
        (amsterdam, 404),
        (regisseur_free, 404),
    ):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON
        if status == 404:
            assert answer.json() == nowhere.json()
    placed = restrict(client, shared, officer)
    for headers in (resident, toegang, officer):
        assert ids(client, url, headers) == {placed["id"]}
    for headers in (carla, amsterdam):
        assert client.get(url, headers=headers).status_code == 404
    lifting = f"{url}/{placed['id']}/lift"
    lift_body = {"reason": "Opgeheven.", "familyInformedOn": "2026-11-01"}
    assert client.post(lifting, json=lift_body, headers=resident).status_code == 403
    assert client.post(lifting, json=lift_body, headers=carla).status_code == 404
    assert lift(client, shared, officer, placed).status_code == 200
    again = lift(client, shared, officer, placed)
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM_JSON
    unknown = lift(client, shared, officer, {"id": str(uuid.uuid4())})
    assert unknown.status_code == 404
    listed = client.get(url, headers=resident).json()["items"]
    assert [(r["id"], r["active"], r["liftReason"]) for r in listed] == [
        (placed["id"], False, "Gecorrigeerd.")
    ]


def test_bad_placements_and_lifts_are_problem_json(
    client: TestClient,
    token: Token,
    toegang: Headers,
    shared: Case,
    officer: Headers,
    clock: Clock,
) -> None:
    url = f"{shared.base}/restrictions"
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Smit", "referralSource": "self"},
        headers=toegang,
    ).json()
    stranger = add_member(client, other["id"], toegang, givenName="Piet")
    resident = token("resident", member=uuid.UUID(shared.parent["id"]), sub="sanne")
    access = client.post(
        f"{shared.base}/rights-requests", json={"kind": "access"}, headers=resident
    ).json()
    for body, field in (
        ({}, "body:reason"),
        ({"reason": ""}, "body:reason"),
        ({"reason": "x", "unexpected": 1}, "body:unexpected"),
        ({"reason": "x", "memberId": "not-a-uuid"}, "body:memberId"),
        ({"reason": "x", "memberId": stranger["id"]}, "body:memberId"),
        ({"reason": "x", "memberId": str(uuid.uuid4())}, "body:memberId"),
        ({"reason": "x", "rightsRequestId": access["id"]}, "body:rightsRequestId"),
        ({"reason": "x", "rightsRequestId": str(uuid.uuid4())}, "body:rightsRequestId"),
    ):
        answer = client.post(url, json=body, headers=officer)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert field in {p["name"] for p in answer.json()["invalidParams"]}, answer.text
    asked = client.post(
        f"{shared.base}/rights-requests", json={"kind": "restriction"}, headers=resident
    ).json()
    placed = restrict(client, shared, officer, rightsRequestId=asked["id"])
    assert placed["rightsRequestId"] == asked["id"]
    twice = client.post(url, json={"reason": "Nog eens."}, headers=officer)
    assert twice.status_code == 409
    # A member may be restricted beside the household, once.
    restrict(client, shared, officer, memberId=shared.parent["id"])
    assert (
        client.post(
            url, json={"reason": "x", "memberId": shared.parent["id"]}, headers=officer
        ).status_code
        == 409
    )
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    for body, field in (
        ({"reason": "x", "familyInformedOn": tomorrow}, "body:familyInformedOn"),
        ({"reason": "x"}, "body:familyInformedOn"),
        ({"familyInformedOn": "2026-11-01"}, "body:reason"),
    ):
        answer = client.post(f"{url}/{placed['id']}/lift", json=body, headers=officer)
        assert answer.status_code == 422, (body, answer.text)
        assert field in {p["name"] for p in answer.json()["invalidParams"]}, answer.text
    held = client.get(url, headers=officer).json()["items"]
    assert [r["active"] for r in held] == [True, True]


def test_the_data_report_lists_the_restrictions(
    client: TestClient,
    token: Token,
    shared: Case,
    officer: Headers,
) -> None:
    resident = token("resident", member=uuid.UUID(shared.parent["id"]), sub="sanne")
    placed = restrict(client, shared, officer, memberId=shared.parent["id"])
    assert lift(client, shared, officer, placed).status_code == 200
    report = client.get(f"{shared.base}/data-report", headers=resident)
    assert report.status_code == 200, report.text
    [listed] = report.json()["restrictions"]
    assert (listed["id"], listed["familyInformedOn"]) == (placed["id"], "2026-11-01")
    page = client.get(f"{shared.base}/data-report", headers=resident | {"Accept": "text/html"}).text
    assert "Restrictions of processing" in page
    assert "Gecorrigeerd." in page


def test_no_webhook_goes_out_about_a_restricted_household_not_even_one_owed_from_before(
    client: TestClient,
    toegang: Headers,
    shared: Case,
    officer: Headers,
    directory: Directory,
    subscribe: Subscribe,  # noqa: F811
    worker: DeliveryWorker,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    callback: Callback,  # noqa: F811
    factory: SessionFactory,  # noqa: F811
    connection: Connection,
    clock: Clock,
) -> None:
    partner = subscribe(
        organization_id=uuid.UUID(directory.debt_help),
        client_role="partner_system",
        municipalities=[],
    )
    goal = {"lifeDomain": "housing", "description": "Woning", "zrmStart": 2, "zrmTarget": 4}

    def add_goal() -> None:
        added = client.post(f"{shared.base}/plan/goals", json=goal, headers=toegang)
        assert added.status_code == 201, added.text

    add_goal()
    worker.run_once()
    delivered = len(receiver.received)
    assert delivered == len(written_after(connection, partner)) > 0
    callback.status = 503  # the next one is owed when the restriction is placed
    add_goal()
    worker.run_once()
    restrict(client, shared, officer)
    add_goal()
    attempted = len(receiver.received)  # the first one, and the failed attempt at the owed one
    callback.status = 200
    clock.advance(timedelta(hours=1))
    drain(worker)
    assert receiver.received[attempted:] == []
    owed = deliveries(factory, partner)
    assert [d.status for d in owed][delivered:] == ["withheld"] * (len(owed) - delivered)
    assert len(owed) > delivered


def test_a_partner_system_pushes_nothing_onto_a_restricted_household(
    client: TestClient,
    token: Token,
    toegang: Headers,
    shared: Case,
    officer: Headers,
    directory: Directory,
) -> None:
    partner = token("partner_system", org=uuid.UUID(directory.debt_help), sub="debt-system")
    goal = client.post(
        f"{shared.base}/plan/goals",
        json={
            "lifeDomain": "finances",
            "description": "Schulden",
            "zrmStart": 2,
            "zrmTarget": 4,
            "organizationId": directory.debt_help,
        },
        headers=toegang,
    ).json()

    def push(goal_id: str, external_id: str) -> dict[str, Any]:
        item = {
            "householdId": shared.base.rsplit("/", 1)[1],
            "goalId": goal_id,
            "externalId": external_id,
            "text": "Voortgang",
            "reportedOn": "2026-11-01",
        }
        response = client.post(
            f"{API}/progress-updates",
            json={"updates": [item]},
            headers=partner | {"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["results"][0]
        return result

    assert push(goal["id"], "before")["status"] == "created"
    restrict(client, shared, officer)
    refused = push(goal["id"], "while")
    assert refused["status"] == "rejected"
    assert refused["problem"] == push(str(uuid.uuid4()), "while")["problem"]
