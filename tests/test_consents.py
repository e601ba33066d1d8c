"""The family's consent: recorded with its giver, withdrawn with history kept."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.events.models import Event
from gezinsplan.kit.clock import today
from tests.conftest import Clock, Directory, Token

API = "/api/v1"


def add_member(
    client: TestClient, household_id: str, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    body = {
        "givenName": "Sanne",
        "familyName": "Jansen",
        "birthDate": "1986-04-12",
        "relation": "parent",
    } | changes
    response = client.post(f"{API}/households/{household_id}/members", json=body, headers=headers)
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


@pytest.fixture
def parent(client: TestClient, toegang: dict[str, str], household: dict[str, Any]) -> Any:
    return add_member(client, household["id"], toegang)


def consent_body(directory: Directory, giver: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "granteeOrganizationId": directory.debt_help,
        "categories": ["basic", "plan"],
        "lifeDomains": ["finances"],
        "purpose": "Schuldhulpverlening",
        "validFrom": today().isoformat(),
        "validUntil": (today() + timedelta(days=365)).isoformat(),
        "givenByMemberId": giver["id"],
    } | changes


def consented_provider(
    client: TestClient,
    household_id: str,
    toegang: dict[str, str],
    directory: Directory,
    token: Token,
) -> dict[str, str]:
    """The debt help's professional "carla", her organization assigned to the household and
    holding a parent's consent for its basic data and plan, finances only: her headers."""
    base = f"{API}/households/{household_id}"
    parent = add_member(client, household_id, toegang)
    role = client.post(
        f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang
    )
    assert role.status_code == 201, role.text
    consent = client.post(f"{base}/consents", json=consent_body(directory, parent), headers=toegang)
    assert consent.status_code == 201, consent.text
    return token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")


def test_a_consent_is_recorded_read_back_and_withdrawn_with_history_kept(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
    connection: Connection,
) -> None:
    base = f"{API}/households/{household['id']}/consents"
    created = client.post(base, json=consent_body(directory, parent), headers=toegang)
    assert created.status_code == 201, created.text
    consent = created.json()
    assert (consent["status"], consent["categories"], consent["lifeDomains"]) == (
        "active",
        ["basic", "plan"],
        ["finances"],
    )
    assert consent["recordedBy"] == "tester"
    assert client.get(created.headers["location"], headers=toegang).json() == consent

    withdrawn = client.post(
        f"{base}/{consent['id']}/withdraw",
        json={"reason": "Het gezin wil dit niet meer."},
        headers=toegang,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawnBy"] == "tester"
    again = client.post(f"{base}/{consent['id']}/withdraw", headers=toegang)
    assert again.status_code == 409
    listed = client.get(base, headers=toegang).json()["items"]
    assert [(c["id"], c["status"], c["withdrawalReason"]) for c in listed] == [
        (consent["id"], "withdrawn", "Het gezin wil dit niet meer.")
    ]
    types = connection.scalars(
        select(Event.type)
        .where(col(Event.resource_id) == uuid.UUID(consent["id"]))
        .order_by(col(Event.seq))
    ).all()
    assert types == ["consent.given", "consent.withdrawn"]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "status"),
    [
        (timedelta(days=1), None, "pending"),
        (timedelta(days=-30), timedelta(days=-1), "expired"),
        (timedelta(days=-30), timedelta(days=0), "active"),
        (timedelta(days=0), None, "active"),
    ],
)
def test_the_status_follows_the_validity_dates(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
    valid_from: timedelta,
    valid_until: timedelta | None,
    status: str,
    clock: Clock,
) -> None:
    today = clock.today()
    body = consent_body(
        directory,
        parent,
        validFrom=(today + valid_from).isoformat(),
        validUntil=None if valid_until is None else (today + valid_until).isoformat(),
    )
    response = client.post(
        f"{API}/households/{household['id']}/consents", json=body, headers=toegang
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == status


def test_only_an_adult_or_guardian_of_this_household_gives_consent(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
) -> None:
    base = f"{API}/households/{household['id']}/consents"
    child = add_member(
        client, household["id"], toegang, givenName="Noor", birthDate="2014-02-20", relation="child"
    )
    other = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0193",
            "name": "Gezin Anders",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    ).json()
    stranger = add_member(client, other["id"], toegang, givenName="Piet")
    cases = [
        (consent_body(directory, child), "body:givenByMemberId"),
        (consent_body(directory, stranger), "body:givenByMemberId"),
        (
            consent_body(directory, parent, givenByMemberId=str(uuid.uuid4())),
            "body:givenByMemberId",
        ),
        (
            consent_body(directory, parent, granteeOrganizationId=str(uuid.uuid4())),
            "body:granteeOrganizationId",
        ),
        (consent_body(directory, parent, categories=[]), "body:categories"),
        (consent_body(directory, parent, categories=["gossip"]), "body:categories.0"),
        (consent_body(directory, parent, categories=["plan", "plan"]), "body"),
        (consent_body(directory, parent, lifeDomains=["astrology"]), "body:lifeDomains.0"),
        (consent_body(directory, parent, validFrom="2027-01-02", validUntil="2027-01-01"), "body"),
        (consent_body(directory, parent, purpose=""), "body:purpose"),
        (consent_body(directory, parent, withdrawnAt="2026-01-01T00:00:00Z"), "body:withdrawnAt"),
    ]
    for body, where in cases:
        response = client.post(base, json=body, headers=toegang)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert where in [p["name"] for p in response.json()["invalidParams"]], response.text
    assert client.get(base, headers=toegang).json()["items"] == []


def test_the_list_named_in_a_bad_category_is_consent_categories(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
) -> None:
    body = consent_body(directory, parent, categories=["gossip"])
    response = client.post(
        f"{API}/households/{household['id']}/consents", json=body, headers=toegang
    )
    assert "consent-categories" in response.json()["invalidParams"][0]["reason"]


def test_the_member_who_gave_a_consent_stays_in_the_file(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
) -> None:
    base = f"{API}/households/{household['id']}"
    assert (
        client.post(
            f"{base}/consents", json=consent_body(directory, parent), headers=toegang
        ).status_code
        == 201
    )
    removed = client.delete(f"{base}/members/{parent['id']}", headers=toegang)
    assert removed.status_code == 409
    assert removed.headers["content-type"] == "application/problem+json"
    assert client.get(f"{base}/members/{parent['id']}", headers=toegang).status_code == 200


def test_consents_of_a_household_one_may_not_see_are_not_found(
    client: TestClient,
    token: Any,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    parent: dict[str, Any],
) -> None:
    base = f"{API}/households/{household['id']}/consents"
    consent = client.post(base, json=consent_body(directory, parent), headers=toegang).json()
    outsider = token("toegang", municipalities=("0363",), org=uuid.uuid4(), sub="outsider")
    grantee = token("care_provider", org=uuid.UUID(directory.debt_help), sub="grantee")
    for headers in (outsider, grantee):
        assert client.get(base, headers=headers).status_code == 404
        assert client.get(f"{base}/{consent['id']}", headers=headers).status_code == 404
        withdraw = client.post(f"{base}/{consent['id']}/withdraw", headers=headers)
        assert withdraw.status_code == 404
    assert client.get(f"{base}/{consent['id']}", headers=toegang).json()["status"] == "active"
