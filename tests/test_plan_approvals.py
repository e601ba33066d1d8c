"""The family's approval of the plan: by a resident in their own name, or recorded by the
access team or the regisseur on the family's behalf; bound to one version, which the plan
shows is no longer current once it changes."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.events.models import Event
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"
Headers = dict[str, str]


@pytest.fixture
def family(client: TestClient, toegang: Headers, household: dict[str, Any]) -> dict[str, Any]:
    return {
        "base": f"{API}/households/{household['id']}",
        "parent": add_member(client, household["id"], toegang)["id"],
        "partner": add_member(client, household["id"], toegang, givenName="Kees")["id"],
    }


@pytest.fixture
def sanne(token: Token, family: dict[str, Any]) -> Headers:
    """The parent, as a resident with their own token."""
    return token("resident", member=uuid.UUID(family["parent"]), sub="sanne")


def approve(client: TestClient, family: dict[str, Any], headers: Headers, **body: Any) -> Any:
    return client.post(f"{family['base']}/plan/approvals", json=body, headers=headers)


def version(client: TestClient, family: dict[str, Any], headers: Headers) -> int:
    found: int = client.get(f"{family['base']}/plan", headers=headers).json()["version"]
    return found


def test_a_resident_approves_the_current_version_digitally_in_their_own_name(
    client: TestClient,
    connection: Connection,
    toegang: Headers,
    sanne: Headers,
    family: dict[str, Any],
    clock: Clock,
) -> None:
    before = client.get(f"{family['base']}/plan", headers=sanne)
    assert before.json()["approval"] is None
    response = approve(client, family, sanne, planVersion=1, method="digital")
    assert response.status_code == 201, response.text
    approval = response.json()
    assert approval | {"id": None, "createdAt": None} == {
        "id": None,
        "planVersion": 1,
        "memberId": family["parent"],
        "method": "digital",
        "approvedOn": clock.today().isoformat(),
        "current": True,
        "recordedBy": {"name": None, "organizationId": None},
        "createdAt": None,
    }
    # Approving changes nothing in the plan: its version and ETag stay.
    after = client.get(f"{family['base']}/plan", headers=toegang)
    assert after.headers["etag"] == before.headers["etag"] == response.headers["etag"]
    assert after.json()["approval"] == {
        "planVersion": 1,
        "approvedOn": clock.today().isoformat(),
        "method": "digital",
        "current": True,
    }
    listed = client.get(f"{family['base']}/plan/approvals", headers=sanne)
    assert listed.status_code == 200
    assert listed.json() == {"items": [approval], "nextCursor": None}
    # Naming themselves is the same as leaving it out.
    again = approve(
        client, family, sanne, planVersion=1, method="digital", memberId=family["parent"]
    )
    assert again.status_code == 201, again.text
    events = connection.execute(
        select(col(Event.resource_type), col(Event.resource_id)).where(
            col(Event.type) == "plan.approved"
        )
    ).all()
    assert sorted(events) == sorted(
        [("approval", uuid.UUID(approval["id"])), ("approval", uuid.UUID(again.json()["id"]))]
    )


@pytest.mark.parametrize("method", ["paper", "verbal", "digital"])
def test_the_access_team_records_an_approval_on_the_familys_behalf(
    client: TestClient, toegang: Headers, family: dict[str, Any], method: str, clock: Clock
) -> None:
    given = (clock.today() - timedelta(days=3)).isoformat()
    response = approve(
        client,
        family,
        toegang,
        planVersion=1,
        method=method,
        memberId=family["partner"],
        approvedOn=given,
    )
    assert response.status_code == 201, response.text
    assert response.json()["memberId"] == family["partner"]
    assert response.json()["method"] == method
    assert response.json()["approvedOn"] == given
    assert response.json()["recordedBy"]["name"] == "Test tester"


def test_the_regisseur_records_a_verbal_approval(
    client: TestClient,
    toegang: Headers,
    token: Token,
    family: dict[str, Any],
    directory: Directory,
) -> None:
    assigned = client.put(
        f"{family['base']}/regisseur",
        json={
            "professionalSub": "bart",
            "professionalName": "Bart Visser",
            "organizationId": directory.youth_care,
            "reason": "Jeugdhulp coordineert.",
        },
        headers=toegang,
    )
    assert assigned.status_code == 200, assigned.text
    bart = token("care_provider", org=uuid.UUID(directory.youth_care), sub="bart")
    response = approve(
        client, family, bart, planVersion=1, method="verbal", memberId=family["parent"]
    )
    assert response.status_code == 201, response.text
    assert response.json()["recordedBy"] == {
        "name": "Test bart",
        "organizationId": directory.youth_care,
    }


def test_a_care_provider_reads_approvals_but_never_records_one(
    client: TestClient,
    toegang: Headers,
    token: Token,
    family: dict[str, Any],
    directory: Directory,
) -> None:
    base = family["base"]
    role = client.post(
        f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang
    )
    assert role.status_code == 201, role.text
    parent = {"id": family["parent"]}
    consent = client.post(f"{base}/consents", json=consent_body(directory, parent), headers=toegang)
    assert consent.status_code == 201, consent.text
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")
    assert client.get(f"{base}/plan/approvals", headers=carla).status_code == 200
    for method in ("paper", "digital"):
        refused = approve(
            client, family, carla, planVersion=1, method=method, memberId=family["parent"]
        )
        # It reads the plan but does not change it: a 403 that says so (decision 0037).
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "urn:gezinsplan:problem:read-only"
    assert client.get(f"{base}/plan/approvals", headers=toegang).json()["items"] == []


def test_a_member_of_another_household_cannot_approve_here(
    client: TestClient, toegang: Headers, family: dict[str, Any]
) -> None:
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin B", "referralSource": "municipal_access"},
        headers=toegang,
    )
    stranger = add_member(client, other.json()["id"], toegang, givenName="Piet")["id"]
    for member in (stranger, str(uuid.uuid4())):
        response = approve(client, family, toegang, planVersion=1, method="paper", memberId=member)
        assert response.status_code == 422, response.text
        assert response.json()["invalidParams"][0]["name"] == "body:memberId"


def test_a_stale_plan_version_is_a_conflict(
    client: TestClient, toegang: Headers, sanne: Headers, family: dict[str, Any]
) -> None:
    etag = client.get(f"{family['base']}/plan", headers=toegang).headers["etag"]
    changed = client.patch(
        f"{family['base']}/plan",
        json={"familyWishes": "Rust."},
        headers=toegang | {"If-Match": etag},
    )
    assert changed.status_code == 200
    for version_named in (1, 3):
        stale = approve(client, family, sanne, planVersion=version_named, method="digital")
        assert stale.status_code == 409, stale.text
        assert stale.headers["content-type"] == "application/problem+json"
    assert approve(client, family, sanne, planVersion=2, method="digital").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "paper"}, "body:method"),
        ({"method": "verbal"}, "body:method"),
        ({"method": "digital", "memberId": "partner"}, "body:memberId"),
        ({"method": "fax"}, "body:method"),
        ({"method": "digital", "approvedOn": "2999-01-01"}, "body:approvedOn"),
        ({"method": "digital", "planVersion": 0}, "body:planVersion"),
        ({"method": "digital", "surprise": True}, "body:surprise"),
    ],
)
def test_a_resident_approves_only_digitally_as_themselves(
    client: TestClient,
    sanne: Headers,
    family: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    if body.get("memberId") == "partner":
        body = body | {"memberId": family["partner"]}
    response = approve(client, family, sanne, **({"planVersion": 1} | body))
    assert response.status_code == 422, response.text
    assert field in [param["name"] for param in response.json()["invalidParams"]]


def test_a_professional_names_the_member(
    client: TestClient, toegang: Headers, family: dict[str, Any]
) -> None:
    response = approve(client, family, toegang, planVersion=1, method="paper")
    assert response.status_code == 422, response.text
    assert response.json()["invalidParams"][0]["name"] == "body:memberId"


def test_the_plan_shows_the_approval_is_no_longer_current_after_a_change(
    client: TestClient, toegang: Headers, sanne: Headers, family: dict[str, Any], clock: Clock
) -> None:
    base = family["base"]
    approved = approve(client, family, sanne, planVersion=1, method="digital")
    assert approved.status_code == 201
    assert client.get(f"{base}/plan", headers=sanne).json()["approval"]["current"] is True
    etag = client.get(f"{base}/plan", headers=toegang).headers["etag"]
    goal = {"lifeDomain": "housing", "description": "Woning.", "zrmStart": 1, "zrmTarget": 3}
    added = client.post(f"{base}/plan/goals", json=goal, headers=toegang | {"If-Match": etag})
    assert added.status_code == 201
    plan = client.get(f"{base}/plan", headers=sanne).json()
    assert plan["version"] == 2
    assert plan["approval"] == {
        "planVersion": 1,
        "approvedOn": clock.today().isoformat(),
        "method": "digital",
        "current": False,
    }
    listed = client.get(f"{base}/plan/approvals", headers=toegang).json()["items"]
    assert [(a["planVersion"], a["current"]) for a in listed] == [(1, False)]
    # The approved version itself stays readable, as it was.
    approved_version = client.get(f"{base}/plan/versions/1", headers=sanne).json()
    assert approved_version["goals"] == []
    assert approve(client, family, sanne, planVersion=2, method="digital").status_code == 201
    assert client.get(f"{base}/plan", headers=sanne).json()["approval"]["current"] is True
