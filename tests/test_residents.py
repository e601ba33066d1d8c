"""A resident reads their own household's plan, roles, consents and access log, gives and
withdraws consent in their own name, and reaches nothing else."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Directory, Token
from tests.test_consents import add_member, consent_body

API = "/api/v1"


@pytest.fixture
def family(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> dict[str, Any]:
    base = f"{API}/households/{household['id']}"
    return {
        "base": base,
        "parent": add_member(client, household["id"], toegang),
        "partner": add_member(client, household["id"], toegang, givenName="Kees"),
        "child": add_member(
            client,
            household["id"],
            toegang,
            givenName="Noor",
            birthDate="2015-03-01",
            relation="child",
        ),
    }


@pytest.fixture
def resident(token: Token, family: dict[str, Any]) -> dict[str, str]:
    return token("resident", member=uuid.UUID(family["parent"]["id"]), sub="sanne")


def test_a_resident_reads_their_plan_roles_consents_and_access_log_only(
    client: TestClient, resident: dict[str, str], family: dict[str, Any]
) -> None:
    base = family["base"]
    allowed = ["/plan", "/roles", "/consents", "/access-log"]
    for path in allowed:
        response = client.get(base + path, headers=resident)
        assert response.status_code == 200, (path, response.text)
    plan = client.get(f"{base}/plan", headers=resident).json()
    assert plan["visibility"]["restricted"] is False
    # Their own household is no secret to them: the basic data is refused, a 403.
    for path in ("", "/members", f"/members/{family['parent']['id']}"):
        assert client.get(base + path, headers=resident).status_code == 403, path
    assert client.get(f"{API}/households", headers=resident).json()["items"] == []


def test_a_resident_changes_nothing_but_consent(
    client: TestClient, toegang: dict[str, str], resident: dict[str, str], family: dict[str, Any]
) -> None:
    base = family["base"]
    etag = client.get(f"{base}/plan", headers=resident).headers["etag"]
    writes = [
        ("patch", "/plan", {"familyWishes": "Rust in huis."}),
        (
            "post",
            "/plan/goals",
            {"lifeDomain": "finances", "description": "x", "zrmStart": 1, "zrmTarget": 2},
        ),
        ("patch", "", {"name": "Gezin Anders"}),
        ("post", "/roles", {"organizationId": str(uuid.uuid4())}),
    ]
    for method, path, body in writes:
        response = client.request(
            method, base + path, json=body, headers=resident | {"If-Match": etag}
        )
        assert response.status_code == 403, (method, path, response.text)
    assert client.get(f"{base}/plan", headers=toegang).headers["etag"] == etag


def test_a_resident_gives_and_withdraws_consent_in_their_own_name(
    client: TestClient,
    resident: dict[str, str],
    family: dict[str, Any],
    directory: Directory,
) -> None:
    base = f"{family['base']}/consents"
    on_behalf = client.post(base, json=consent_body(directory, family["partner"]), headers=resident)
    assert on_behalf.status_code == 422
    assert on_behalf.json()["invalidParams"][0]["name"] == "body:givenByMemberId"
    given = client.post(base, json=consent_body(directory, family["parent"]), headers=resident)
    assert given.status_code == 201, given.text
    assert given.json()["recordedBy"] == "sanne"
    withdrawn = client.post(f"{base}/{given.json()['id']}/withdraw", headers=resident)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"


def test_a_resident_of_another_household_or_without_a_member_sees_nothing(
    client: TestClient,
    toegang: dict[str, str],
    token: Token,
    family: dict[str, Any],
) -> None:
    other = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0193",
            "name": "Gezin Anders",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    ).json()
    neighbour = add_member(client, other["id"], toegang, givenName="Piet")
    outsiders = [
        token("resident", member=uuid.UUID(neighbour["id"]), sub="piet"),
        token("resident", sub="nobody"),
        token("resident", member=uuid.uuid4(), sub="ghost"),
    ]
    for headers in outsiders:
        for path in ("/plan", "/roles", "/consents", "/access-log"):
            response = client.get(family["base"] + path, headers=headers)
            assert response.status_code == 404, (path, response.text)
