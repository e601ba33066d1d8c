"""Households: open, list with filters and search, read, change with If-Match, close, reopen."""

import uuid
from typing import Any

from fastapi.testclient import TestClient

from gezinsplan.kit.clock import today
from tests.conftest import Directory, Token
from tests.test_consents import add_member, consent_body
from tests.test_roles import assign

API = "/api/v1/households"
V1 = "/api/v1"


def open_household(
    client: TestClient, headers: dict[str, str], name: str, municipality: str = "0193"
) -> dict[str, Any]:
    response = client.post(
        API,
        json={"municipalityCode": municipality, "name": name, "referralSource": "municipal_access"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_open_household_returns_it_with_etag_and_location(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    response = client.post(
        API,
        json={
            "municipalityCode": "0148",
            "name": "Gezin de Vries",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["municipalityCode"] == "0148"
    assert body["closingReason"] is None
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert client.get(response.headers["location"], headers=toegang).json() == body


def test_open_household_outside_own_municipality_is_forbidden(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    response = client.post(
        API,
        json={
            "municipalityCode": "0363",
            "name": "Gezin Visser",
            "referralSource": "municipal_access",
        },
        headers=toegang,
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_open_household_in_unregistered_municipality_is_422(
    client: TestClient, token: Token, municipalities: list[str]
) -> None:
    headers = token("toegang", municipalities=("0999",))
    response = client.post(
        API,
        json={
            "municipalityCode": "0999",
            "name": "Gezin Smit",
            "referralSource": "municipal_access",
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["invalidParams"][0]["name"] == "body:municipalityCode"


def test_list_filters_by_status_municipality_and_name(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    jansen = open_household(client, toegang, "Gezin Jansen")
    open_household(client, toegang, "Gezin de Vries", municipality="0148")
    closed = open_household(client, toegang, "Gezin Bakker")
    client.post(
        f"{API}/{closed['id']}/close", json={"closingReason": "moved_away"}, headers=toegang
    )
    add_member(client, jansen["id"], toegang, familyName="Willems")

    def names(**params: str) -> list[str]:
        response = client.get(API, params=params, headers=toegang)
        assert response.status_code == 200, response.text
        return [h["name"] for h in response.json()["items"]]

    assert names() == ["Gezin Jansen", "Gezin de Vries", "Gezin Bakker"]
    assert names(status="open") == ["Gezin Jansen", "Gezin de Vries"]
    assert names(status="closed") == ["Gezin Bakker"]
    assert names(municipality="0148") == ["Gezin de Vries"]
    assert names(q="VRIES") == ["Gezin de Vries"]
    assert names(q="willems") == ["Gezin Jansen"], "search also finds members' names"
    assert names(q="%") == [], "LIKE wildcards are matched literally"


def test_the_name_search_matches_words_by_their_beginning(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    """Every word searched for must begin a word of the household's names (its own and its
    members'); the indexes behind it do not find the middle of a word."""
    jansen = open_household(client, toegang, "Gezin Jansen-Bakker")
    open_household(client, toegang, "Gezin Smit")
    add_member(client, jansen["id"], toegang, familyName="Willems")

    def names(q: str) -> list[str]:
        response = client.get(API, params={"q": q}, headers=toegang)
        assert response.status_code == 200, response.text
        return [h["name"] for h in response.json()["items"]]

    assert names("jan") == ["Gezin Jansen-Bakker"]
    assert names("bak") == ["Gezin Jansen-Bakker"], "each part of a double name is a word"
    assert names("sanne will") == ["Gezin Jansen-Bakker"], "every word, one member"
    assert names("sanne smit") == [], "the words of one name, not of two households"
    assert names("ansen") == [], "not the middle of a word"
    assert names("GEZIN") == ["Gezin Jansen-Bakker", "Gezin Smit"]
    assert names("s_t") == [], "an underscore separates words, it is no wildcard"


def test_pagination_walks_every_household_once(
    client: TestClient, toegang: dict[str, str], municipalities: list[str]
) -> None:
    created = [open_household(client, toegang, f"Gezin {i:02d}")["id"] for i in range(7)]
    seen: list[str] = []
    params: dict[str, str] = {"limit": "3"}
    while True:
        page = client.get(API, params=params, headers=toegang).json()
        seen += [h["id"] for h in page["items"]]
        if page["nextCursor"] is None:
            break
        params["cursor"] = page["nextCursor"]
    assert seen == created


def test_page_size_has_a_hard_maximum(client: TestClient, toegang: dict[str, str]) -> None:
    response = client.get(API, params={"limit": "101"}, headers=toegang)
    assert response.status_code == 422
    assert response.json()["invalidParams"][0]["name"] == "query:limit"


def test_a_forged_cursor_is_422(client: TestClient, toegang: dict[str, str]) -> None:
    response = client.get(API, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=toegang)
    assert response.status_code == 422


def test_patch_needs_if_match_and_refuses_a_stale_one(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    url = f"{API}/{household['id']}"
    assert client.patch(url, json={"name": "Gezin J."}, headers=toegang).status_code == 428
    first = client.patch(url, json={"name": "Gezin J."}, headers={**toegang, "If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    assert first.json()["name"] == "Gezin J."
    stale = client.patch(url, json={"name": "Gezin K."}, headers={**toegang, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url, headers=toegang).json()["name"] == "Gezin J."


def test_close_and_reopen(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    url = f"{API}/{household['id']}"
    closed = client.post(f"{url}/close", json={"closingReason": "goals_achieved"}, headers=toegang)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closingReason"] == "goals_achieved"
    assert closed.json()["closedAt"] is not None
    again = client.post(f"{url}/close", json={"closingReason": "goals_achieved"}, headers=toegang)
    assert again.status_code == 409
    reopened = client.post(f"{url}/reopen", json={"referralSource": "self"}, headers=toegang)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert reopened.json()["closingReason"] is None
    assert (
        client.post(f"{url}/reopen", json={"referralSource": "self"}, headers=toegang).status_code
        == 409
    )


def test_closing_reason_must_come_from_the_list(
    client: TestClient, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    response = client.post(
        f"{API}/{household['id']}/close", json={"closingReason": "bored"}, headers=toegang
    )
    assert response.status_code == 422
    assert response.json()["invalidParams"][0]["name"] == "body:closingReason"


def test_the_list_shows_the_regisseur_and_the_plan_status_as_far_as_the_caller_may_see(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> None:
    hid = household["id"]
    listed = client.get(f"{V1}/households", headers=toegang).json()["items"]
    assert (listed[0]["regisseur"], listed[0]["planStatus"]) == (None, "draft")
    assign(client, hid, toegang, sub="anna", organization_id=directory.access_team)
    item = client.get(f"{V1}/households", headers=toegang).json()["items"][0]
    assert item["regisseur"] == {
        "professionalSub": "anna",
        "professionalName": "Professional anna",
        "organizationId": directory.access_team,
    }
    assert item["planStatus"] == "draft"
    # The single read stays as it was.
    assert "regisseur" not in client.get(f"{V1}/households/{hid}", headers=toegang).json()

    # A care provider with a basic consent sees who coordinates, not how the plan stands.
    parent = add_member(client, hid, toegang, isGuardian=True)
    role = {"organizationId": directory.debt_help, "reason": "Schuldhulp."}
    roles = client.post(f"{V1}/households/{hid}/roles", json=role, headers=toegang)
    assert roles.status_code == 201, roles.text
    for categories, status in ((["basic"], None), (["basic", "plan"], "draft")):
        body = consent_body(directory, parent, categories=categories, lifeDomains=[])
        body["validFrom"] = today().isoformat()
        body["validUntil"] = None
        consent = client.post(f"{V1}/households/{hid}/consents", json=body, headers=toegang)
        assert consent.status_code == 201, consent.text
        carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")
        seen = client.get(f"{V1}/households", headers=carla).json()["items"]
        assert [(i["id"], i["regisseur"]["professionalSub"], i["planStatus"]) for i in seen] == [
            (hid, "anna", status)
        ]
