"""Role assignments: one regisseur at a time, handed over atomically, with access to match."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from gezinsplan.kit.clock import utcnow
from gezinsplan.roles.models import RoleAssignment
from tests.conftest import Directory, Token

API = "/api/v1"


def assign(
    client: TestClient,
    household_id: str,
    headers: dict[str, str],
    *,
    sub: str,
    organization_id: str,
    reason: str = "Regie past hier het best.",
    replaces: str | None = None,
) -> Any:
    body: dict[str, Any] = {
        "professionalSub": sub,
        "professionalName": f"Professional {sub}",
        "organizationId": organization_id,
        "reason": reason,
    }
    if replaces is not None:
        body["replaces"] = replaces
    return client.put(f"{API}/households/{household_id}/regisseur", json=body, headers=headers)


def roles(client: TestClient, household_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{API}/households/{household_id}/roles", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_the_regisseur_sees_and_edits_the_household_until_the_handover(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> None:
    """Open, fill the plan, hand over twice; read back plan and history; the former loses it."""
    hid = household["id"]
    base = f"{API}/households/{hid}"
    anna = token(
        "toegang", municipalities=("0193",), org=uuid.UUID(directory.access_team), sub="anna"
    )
    bart = token("care_provider", org=uuid.UUID(directory.youth_care), sub="bart")
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")

    # A care provider without the assignment sees nothing.
    assert client.get(base, headers=bart).status_code == 404
    assert client.get(f"{API}/households", headers=bart).json()["items"] == []

    # The plan exists from the opening on, as a draft; fill it.
    plan = client.get(f"{base}/plan", headers=toegang)
    assert plan.status_code == 200, plan.text
    assert plan.json()["status"] == "draft"
    assert plan.headers["etag"] == '"1"'
    member = client.post(
        f"{base}/members",
        json={
            "givenName": "Sanne",
            "familyName": "Jansen",
            "birthDate": "1986-04-12",
            "relation": "parent",
            "isGuardian": True,
        },
        headers=toegang,
    ).json()
    patched = client.patch(
        f"{base}/plan",
        json={"status": "active", "familyWishes": "Rust in huis en geen schulden."},
        headers=toegang | {"If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    goal_body = {
        "lifeDomain": "finances",
        "description": "Er is een betaalplan voor alle schulden.",
        "zrmStart": 2,
        "zrmTarget": 4,
        "targetDate": "2027-06-30",
        "organizationId": directory.debt_help,
    }
    finances = client.post(f"{base}/plan/goals", json=goal_body, headers=toegang)
    assert finances.status_code == 201, finances.text
    assert finances.headers["etag"] == '"3"'
    parenting = client.post(
        f"{base}/plan/goals",
        json={
            "lifeDomain": "parenting",
            "description": "Vaste bedtijden voor Noor.",
            "zrmStart": 3,
            "zrmTarget": 4,
        },
        headers=toegang,
    ).json()
    action = client.post(
        f"{base}/plan/goals/{finances.json()['id']}/actions",
        json={
            "description": "Aanmelden bij de schuldhulp.",
            "performer": "member",
            "performerMemberId": member["id"],
            "dueDate": "2027-01-15",
        },
        headers=toegang,
    )
    assert action.status_code == 201, action.text
    evaluation = client.post(
        f"{base}/plan/evaluations",
        json={
            "evaluatedOn": "2026-11-01",
            "outcomes": [{"goalId": parenting["id"], "outcome": "continue"}],
            "scores": [{"lifeDomain": "finances", "score": 2}],
        },
        headers=toegang,
    )
    assert evaluation.status_code == 201, evaluation.text

    # Assign Anna (access team), then hand over to Bart, then Bart hands over to Carla.
    first = assign(client, hid, toegang, sub="anna", organization_id=directory.access_team)
    assert first.status_code == 200, first.text
    assert (
        client.get(f"{API}/households?regisseur=me", headers=anna).json()["items"][0]["id"] == hid
    )
    second = assign(
        client,
        hid,
        anna,
        sub="bart",
        organization_id=directory.youth_care,
        reason="Jeugdhulp werkt dagelijks met het gezin.",
        replaces=first.json()["id"],
    )
    assert second.status_code == 200, second.text
    assert client.get(base, headers=bart).status_code == 200
    edited = client.patch(
        f"{base}/plan/goals/{parenting['id']}",
        json={"zrmTarget": 5},
        headers=bart | {"If-Match": client.get(f"{base}/plan", headers=bart).headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    third = assign(
        client,
        hid,
        bart,
        sub="carla",
        organization_id=directory.debt_help,
        reason="Schulden zijn nu het zwaarst.",
        replaces=second.json()["id"],
    )
    assert third.status_code == 200, third.text

    # The plan reads back exactly, for the new regisseur.
    read = client.get(f"{base}/plan", headers=carla)
    assert read.status_code == 200, read.text
    body = read.json()
    assert read.headers["etag"] == '"7"'
    assert (body["status"], body["familyWishes"], body["version"]) == (
        "active",
        "Rust in huis en geen schulden.",
        7,
    )
    assert [
        (g["lifeDomain"], g["zrmStart"], g["zrmTarget"], g["targetDate"], g["status"])
        for g in body["goals"]
    ] == [("finances", 2, 4, "2027-06-30", "open"), ("parenting", 3, 5, None, "open")]
    assert body["goals"][0]["organizationId"] == directory.debt_help
    assert [
        (a["performer"], a["performerMemberId"], a["done"]) for a in body["goals"][0]["actions"]
    ] == [("member", member["id"], False)]
    assert body["goals"][1]["actions"] == []
    evaluations = client.get(f"{base}/plan/evaluations", headers=carla).json()["items"]
    assert [(e["evaluatedOn"], e["outcomes"], e["scores"]) for e in evaluations] == [
        (
            "2026-11-01",
            [{"goalId": parenting["id"], "outcome": "continue", "note": None}],
            [{"lifeDomain": "finances", "score": 2}],
        )
    ]

    # The history: three assignments, each handover ending one where the next starts.
    history = roles(client, hid, carla)
    assert [(r["professionalSub"], r["organizationId"], r["active"]) for r in history] == [
        ("anna", directory.access_team, False),
        ("bart", directory.youth_care, False),
        ("carla", directory.debt_help, True),
    ]
    assert [r["roleType"] for r in history] == ["regisseur"] * 3
    assert history[0]["endedAt"] == history[1]["startedAt"]
    assert history[1]["endedAt"] == history[2]["startedAt"]
    assert history[2]["endedAt"] is None
    assert [r["startReason"] for r in history] == [
        "Regie past hier het best.",
        "Jeugdhulp werkt dagelijks met het gezin.",
        "Schulden zijn nu het zwaarst.",
    ]
    assert [r["endReason"] for r in history] == [
        "Jeugdhulp werkt dagelijks met het gezin.",
        "Schulden zijn nu het zwaarst.",
        None,
    ]
    assert [(r["startedBy"], r["endedBy"]) for r in history] == [
        ("tester", "anna"),
        ("anna", "bart"),
        ("bart", None),
    ]

    # The former regisseur (a care provider) now gets exactly what a nonexistent id gets.
    gone = client.get(base, headers=bart)
    missing = client.get(f"{API}/households/{uuid.uuid4()}", headers=bart)
    assert gone.status_code == 404
    assert gone.content == missing.content
    for path in ("/plan", "/roles", "/members", f"/plan/goals/{parenting['id']}"):
        assert client.get(base + path, headers=bart).status_code == 404, path
    assert client.get(f"{API}/households?regisseur=me", headers=bart).json()["items"] == []
    # Anna, a toegang worker, still sees the household through her municipality, but it is
    # no longer in her caseload.
    assert client.get(base, headers=anna).status_code == 200
    assert client.get(f"{API}/households?regisseur=me", headers=anna).json()["items"] == []


def test_a_regisseur_from_another_municipality_sees_only_their_households(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> None:
    outsider = token(
        "toegang", municipalities=("0363",), org=uuid.UUID(directory.access_team), sub="olga"
    )
    other = client.post(
        f"{API}/households",
        json={
            "municipalityCode": "0148",
            "name": "Gezin Bos",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    ).json()
    assert (
        assign(
            client, household["id"], toegang, sub="olga", organization_id=directory.access_team
        ).status_code
        == 200
    )
    listed = client.get(f"{API}/households", headers=outsider).json()["items"]
    assert [h["id"] for h in listed] == [household["id"]]
    assert client.get(f"{API}/households/{other['id']}", headers=outsider).status_code == 404
    # The same sub in another organization is somebody else.
    impostor = token("care_provider", org=uuid.UUID(directory.youth_care), sub="olga")
    assert client.get(f"{API}/households/{household['id']}", headers=impostor).status_code == 404


def test_a_handover_must_name_the_current_assignment(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> None:
    hid = household["id"]
    first = assign(client, hid, toegang, sub="anna", organization_id=directory.access_team).json()
    without = assign(client, hid, toegang, sub="bart", organization_id=directory.youth_care)
    assert without.status_code == 409
    assert without.headers["content-type"] == "application/problem+json"
    assert first["id"] in without.json()["detail"]
    stale = assign(
        client,
        hid,
        toegang,
        sub="bart",
        organization_id=directory.youth_care,
        replaces=str(uuid.uuid4()),
    )
    assert stale.status_code == 409
    same = assign(
        client,
        hid,
        toegang,
        sub="anna",
        organization_id=directory.access_team,
        replaces=first["id"],
    )
    assert same.status_code == 409
    assert "already" in same.json()["detail"]
    # Nothing of the refused attempts was stored.
    assert [(r["professionalSub"], r["active"]) for r in roles(client, hid, toegang)] == [
        ("anna", True)
    ]


def test_a_first_assignment_names_nothing_to_replace(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> None:
    response = assign(
        client,
        household["id"],
        toegang,
        sub="anna",
        organization_id=directory.access_team,
        replaces=str(uuid.uuid4()),
    )
    assert response.status_code == 409
    assert roles(client, household["id"], toegang) == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"reason": ""}, 422),
        ({"reason": None}, 422),
        ({"organizationId": str(uuid.uuid4())}, 422),
        ({"professionalSub": ""}, 422),
        ({"startedAt": "2020-01-01T00:00:00Z"}, 422),
    ],
)
def test_a_bad_assignment_is_refused(
    client: TestClient,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    change: dict[str, Any],
    status: int,
) -> None:
    body = {
        "professionalSub": "anna",
        "professionalName": "Anna",
        "organizationId": directory.access_team,
        "reason": "Start",
    } | change
    response = client.put(
        f"{API}/households/{household['id']}/regisseur", json=body, headers=toegang
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert roles(client, household["id"], toegang) == []


def test_care_providers_are_added_once_and_ended_with_history_kept(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> None:
    hid = household["id"]
    added = client.post(
        f"{API}/households/{hid}/roles",
        json={"organizationId": directory.youth_care, "reason": "Gezinscoaching"},
        headers=toegang,
    )
    assert added.status_code == 201, added.text
    assert added.json()["roleType"] == "care_provider"
    assert client.get(added.headers["location"], headers=toegang).json() == added.json()
    twice = client.post(
        f"{API}/households/{hid}/roles",
        json={"organizationId": directory.youth_care},
        headers=toegang,
    )
    assert twice.status_code == 409
    not_a_provider = client.post(
        f"{API}/households/{hid}/roles",
        json={"organizationId": directory.access_team},
        headers=toegang,
    )
    assert not_a_provider.status_code == 422
    ended = client.delete(f"{API}/households/{hid}/roles/{added.json()['id']}", headers=toegang)
    assert ended.status_code == 204
    again = client.delete(f"{API}/households/{hid}/roles/{added.json()['id']}", headers=toegang)
    assert again.status_code == 409
    history = roles(client, hid, toegang)
    assert [(r["organizationId"], r["active"], r["endedBy"]) for r in history] == [
        (directory.youth_care, False, "tester")
    ]
    current = client.get(f"{API}/households/{hid}/roles?active=true", headers=toegang).json()
    assert current["items"] == []
    # After it ended, the organization may be added again.
    readded = client.post(
        f"{API}/households/{hid}/roles",
        json={"organizationId": directory.youth_care},
        headers=toegang,
    )
    assert readded.status_code == 201


def test_the_regisseur_is_handed_over_not_removed(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> None:
    role = assign(
        client, household["id"], toegang, sub="anna", organization_id=directory.access_team
    )
    response = client.delete(
        f"{API}/households/{household['id']}/roles/{role.json()['id']}", headers=toegang
    )
    assert response.status_code == 409
    assert roles(client, household["id"], toegang)[0]["active"] is True


def test_roles_of_a_closed_household_do_not_change(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any], directory: Directory
) -> None:
    closed = client.post(
        f"{API}/households/{household['id']}/close",
        json={"closingReason": "moved_away"},
        headers=toegang,
    )
    assert closed.status_code == 200
    response = assign(
        client, household["id"], toegang, sub="anna", organization_id=directory.access_team
    )
    assert response.status_code == 409


def test_the_database_allows_one_active_regisseur_per_household(
    connection: Connection, client: TestClient, household: dict[str, Any], directory: Directory
) -> None:
    """The partial unique index holds even for writes that bypass the service."""
    table = RoleAssignment.__table__  # type: ignore[attr-defined]

    def row(sub: str, ended: bool) -> dict[str, Any]:
        now = utcnow()
        return {
            "id": uuid.uuid4(),
            "household_id": uuid.UUID(household["id"]),
            "role_type": "regisseur",
            "organization_id": uuid.UUID(directory.access_team),
            "professional_sub": sub,
            "started_at": now,
            "ended_at": now if ended else None,
            "started_by": "test",
            "created_at": now,
        }

    connection.execute(table.insert(), [row("anna", ended=True), row("bart", ended=True)])
    connection.execute(table.insert(), [row("carla", ended=False)])
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(table.insert(), [row("dirk", ended=False)])


@pytest.mark.parametrize(
    "role", ["policy", "privacy_officer", "admin", "resident", "municipal_system", "partner_system"]
)
def test_only_professionals_get_regisseur_rights(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
    role: str,
) -> None:
    """A token of another role with the regisseur's sub and organization gets nothing."""
    assigned = assign(
        client, household["id"], toegang, sub="anna", organization_id=directory.youth_care
    )
    assert assigned.status_code == 200
    other = token(role, org=uuid.UUID(directory.youth_care), sub="anna")
    assert client.get(f"{API}/households/{household['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/households?regisseur=me", headers=other).json()["items"] == []
