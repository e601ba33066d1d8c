"""Episodes: closing a household ends the work on it, in one transaction; reopening starts a
new episode without a regisseur; the episodes read back exactly."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gezinsplan.events.models import Event
from gezinsplan.roles import service as roles_service
from tests.conftest import Directory, Token
from tests.test_consents import add_member, consent_body
from tests.test_roles import assign

API = "/api/v1"
HOUSEHOLD_CLOSED = "household closed"


def _events(connection: Connection, household_id: str) -> list[str]:
    statement = (
        select(Event.type)  # type: ignore[call-overload]
        .where(Event.household_id == uuid.UUID(household_id))
        .order_by(Event.seq)
    )
    return list(connection.scalars(statement))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def worked_on(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> dict[str, Any]:
    """The household with a regisseur (anna) and two care providers, each with a consent."""
    base = f"{API}/households/{household['id']}"
    # A care provider's professional as regisseur: their access rests on the assignment alone.
    anna = token("care_provider", org=uuid.UUID(directory.youth_care), sub="anna")
    _ok(assign(client, household["id"], toegang, sub="anna", organization_id=directory.youth_care))
    parent = add_member(client, household["id"], toegang)
    providers = {}
    for sub, organization in (("bart", directory.youth_care), ("carla", directory.debt_help)):
        _ok(
            client.post(f"{base}/roles", json={"organizationId": organization}, headers=toegang),
            201,
        )
        body = consent_body(directory, parent, granteeOrganizationId=organization)
        _ok(client.post(f"{base}/consents", json=body, headers=toegang), 201)
        providers[sub] = token("care_provider", org=uuid.UUID(organization), sub=sub)
    return {"base": base, "anna": anna, "providers": providers}


def test_closing_ends_every_assignment_and_the_plan_and_reopening_starts_anew(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    worked_on: dict[str, Any],
    connection: Connection,
) -> None:
    base, anna, providers = worked_on["base"], worked_on["anna"], worked_on["providers"]
    for headers in providers.values():
        _ok(client.get(base, headers=headers))
        _ok(client.get(f"{base}/plan", headers=headers))
    active = _ok(client.get(f"{base}/roles?active=true", headers=toegang))["items"]
    assert len(active) == 3
    before = len(_events(connection, household["id"]))

    # The regisseur closes the file: their own assignment ends with the others.
    closed = _ok(
        client.post(f"{base}/close", json={"closingReason": "ended_by_agreement"}, headers=anna)
    )

    ended = _ok(client.get(f"{base}/roles?active=false", headers=toegang))["items"]
    assert {role["id"] for role in ended} == {role["id"] for role in active}
    for role in ended:
        assert role["endedAt"] == closed["closedAt"]
        assert role["endReason"] == HOUSEHOLD_CLOSED
    assert _ok(client.get(f"{base}/roles?active=true", headers=toegang))["items"] == []
    assert _ok(client.get(f"{base}/plan", headers=toegang))["status"] == "closed"
    new_events = _events(connection, household["id"])[before:]
    assert sorted(new_events) == sorted(
        ["household.closed", "plan.updated", "role.ended", "role.ended", "role.ended"]
    )

    # The care providers lost their access with their role: exactly a nonexistent household.
    missing = client.get(f"{API}/households/{uuid.uuid4()}", headers=providers["bart"])
    assert missing.status_code == 404
    for headers in [*providers.values(), anna]:
        for path in ("", "/plan", "/members", "/episodes"):
            response = client.get(f"{base}{path}", headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json() == missing.json()
    # The access team keeps it.
    _ok(client.get(base, headers=toegang))

    reopened = _ok(client.post(f"{base}/reopen", json={"referralSource": "self"}, headers=toegang))
    assert reopened["status"] == "open"
    assert _ok(client.get(f"{base}/roles?active=true", headers=toegang))["items"] == []
    assert client.get(base, headers=anna).status_code == 404
    # The access team sees it waiting for a regisseur again.
    waiting = _ok(client.get(f"{API}/worklist/team", headers=toegang))["items"]
    assert [item["id"] for item in waiting] == [household["id"]]

    episodes = _ok(client.get(f"{base}/episodes", headers=toegang))
    assert episodes["nextCursor"] is None
    first, second = episodes["items"]
    assert first == {
        "id": first["id"],
        "householdId": household["id"],
        "openedAt": household["openedAt"],
        "openedBy": "tester",
        "referralSource": "municipal_access",
        "closedAt": closed["closedAt"],
        "closedBy": "anna",
        "closingReason": "ended_by_agreement",
    }
    assert second == {
        "id": second["id"],
        "householdId": household["id"],
        "openedAt": second["openedAt"],
        "openedBy": "tester",
        "referralSource": "self",
        "closedAt": None,
        "closedBy": None,
        "closingReason": None,
    }
    assert second["openedAt"] >= closed["closedAt"]


def test_a_failed_close_changes_nothing(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    worked_on: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The episode, the plan and the assignments end in the close's transaction, or none."""
    base = worked_on["base"]
    real = roles_service.end_all

    def end_then_fail(*args: Any) -> None:
        real(*args)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(roles_service, "end_all", end_then_fail)
    response = client.post(f"{base}/close", json={"closingReason": "moved_away"}, headers=toegang)
    assert response.status_code == 500

    assert _ok(client.get(base, headers=toegang))["status"] == "open"
    assert len(_ok(client.get(f"{base}/roles?active=true", headers=toegang))["items"]) == 3
    assert _ok(client.get(f"{base}/plan", headers=toegang))["status"] != "closed"
    episodes = _ok(client.get(f"{base}/episodes", headers=toegang))["items"]
    assert [episode["closedAt"] for episode in episodes] == [None]
    for headers in worked_on["providers"].values():
        _ok(client.get(base, headers=headers))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "body:referralSource"),
        ({"referralSource": "neighbour"}, "body:referralSource"),
        # Only episodes from before referral sources were recorded are `unknown`.
        ({"referralSource": "unknown"}, "body:referralSource"),
    ],
)
def test_opening_and_reopening_name_a_current_referral_source(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
    body: dict[str, str],
    param: str,
) -> None:
    opened = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Smit"} | body,
        headers=toegang,
    )
    assert opened.status_code == 422, opened.text
    assert param in {p["name"] for p in opened.json()["invalidParams"]}

    base = f"{API}/households/{household['id']}"
    _ok(client.post(f"{base}/close", json={"closingReason": "goals_achieved"}, headers=toegang))
    reopened = client.post(f"{base}/reopen", json=body, headers=toegang)
    assert reopened.status_code == 422, reopened.text
    assert _ok(client.get(base, headers=toegang))["status"] == "closed"
    count = select(func.count()).select_from(Event).where(Event.type == "household.reopened")  # type: ignore[arg-type]
    assert connection.scalar(count) == 0


def test_closing_reasons_carry_the_national_reason_of_ending(
    client: TestClient, toegang: dict[str, str]
) -> None:
    reasons = _ok(client.get(f"{API}/codelists/closing-reasons", headers=toegang))
    national = {entry["code"]: entry["nationalCode"] for entry in reasons["entries"]}
    assert reasons["nationalCodelist"].startswith("CBS Beleidsinformatie Jeugd")
    # Every BIJ reason 01-05 is reachable, and dropout (03, 04) has its own reasons.
    assert {code for code in national.values() if code} == {"01", "02", "03", "04", "05"}
    assert national["goals_achieved"] == "01"
    assert national["family_declined"] == "03"
    assert national["ended_by_team"] == "04"
    assert national["unknown"] is None
    sources = _ok(client.get(f"{API}/codelists/referral-sources", headers=toegang))
    verwijzer = {entry["code"]: entry["nationalCode"] for entry in sources["entries"]}
    assert {verwijzer[c] for c in ("municipal_access", "general_practitioner", "youth_doctor")} == {
        "01",
        "02",
        "03",
    }
    assert verwijzer["certified_institution"] == "04"
    assert verwijzer["medical_specialist"] == "05"
    assert verwijzer["no_referrer"] == "06"
    assert verwijzer["school"] is None
