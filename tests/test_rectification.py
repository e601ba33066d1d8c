"""Rectification of facts (issue 19, point 5; AVG art. 16 and 19): a member's changed facts
keep their old value with who, when and why; the privacy officer and the family read it, the
access team reads the history without it; organizations that received the data get
``member.corrected``, with ids only."""

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

from gezinsplan.members.schemas import FACTS
from gezinsplan.rectification.models import FactField
from tests.conftest import Directory, Token
from tests.test_consents import add_member
from tests.test_feed import read_all, types_of
from tests.test_sharing import Case, carla, case, give  # noqa: F401 - fixtures

API = "/api/v1"
Headers = dict[str, str]
PROBLEM_JSON = "application/problem+json"
CANARY_NAME = "CANARY-Verbeterd"
CANARY_BSN = "999990032"


def member_url(target: Case, member: dict[str, Any]) -> str:
    return f"{target.base}/members/{member['id']}"


def change(
    client: TestClient, target: Case, member: dict[str, Any], headers: Headers, **body: Any
) -> Any:
    """PATCH the member with the ETag it has now."""
    etag = client.get(member_url(target, member), headers=headers).headers["ETag"]
    return client.patch(member_url(target, member), json=body, headers=headers | {"If-Match": etag})


def history(client: TestClient, target: Case, member: dict[str, Any], headers: Headers) -> Any:
    return client.get(f"{member_url(target, member)}/corrections", headers=headers)


def officer(token: Token) -> Headers:
    return token("privacy_officer", municipalities=("0193",), sub="fg-zwolle")


def resident(token: Token, member: dict[str, Any]) -> Headers:
    return token("resident", member=uuid.UUID(member["id"]), sub="sanne")


def test_every_field_a_member_update_changes_is_a_fact_the_history_takes() -> None:
    """A new member field without its place in the history would be refused by the table's
    CHECK constraint: a 500 on every change of it."""
    assert set(FACTS) == {str(field) for field in FactField}


def test_a_correction_keeps_the_old_value_for_the_privacy_officer_with_who_when_why(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
) -> None:
    reason = "Geboortedatum verkeerd overgenomen uit de aanmelding."
    changed = change(
        client,
        case,
        case.parent,
        toegang,
        givenName="Sanna",
        birthDate="1986-04-21",
        familyName="Jansen",  # unchanged: no history
        reason=reason,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["givenName"], changed.json()["birthDate"]) == ("Sanna", "1986-04-21")

    seen = history(client, case, case.parent, officer(token))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["oldValuesShown"] is True
    assert sorted(c["field"] for c in body["items"]) == ["birth_date", "given_name"]
    by_field = {c["field"]: c for c in body["items"]}
    assert by_field["given_name"]["oldValue"] == "Sanne"
    assert by_field["birth_date"]["oldValue"] == "1986-04-12"
    assert {c["correctedBy"] for c in body["items"]} == {"tester"}
    assert {c["reason"] for c in body["items"]} == {reason}
    assert all(c["correctedAt"] for c in body["items"])

    # The family reads its own history, old values included.
    family = history(client, case, case.parent, resident(token, case.parent))
    assert family.status_code == 200, family.text
    assert family.json()["items"] == body["items"]

    # The access team sees who, when and why, not what the wrong value was.
    team = history(client, case, case.parent, toegang)
    assert team.status_code == 200, team.text
    assert team.json()["oldValuesShown"] is False
    assert {c["oldValue"] for c in team.json()["items"]} == {None}
    assert "Sanne" not in team.text

    # A care provider, even with a basic consent, reads no history (a 403: it knows the
    # household, decision 0037); nor another officer (the 404 of no household).
    give(client, case, directory, toegang, categories=["basic"])
    refused = history(client, case, case.parent, carla)
    assert refused.status_code == 403, refused.text
    assert "history of corrections" in refused.json()["detail"]
    amsterdam = token("privacy_officer", municipalities=("0363",))
    assert history(client, case, case.parent, amsterdam).status_code == 404

    # The data report lists the corrections, for the officer and the family.
    report = client.get(f"{case.base}/data-report", headers=officer(token))
    assert report.status_code == 200, report.text
    assert {c["oldValue"] for c in report.json()["corrections"]} == {"Sanne", "1986-04-12"}
    page = client.get(f"{case.base}/data-report", headers=officer(token) | {"Accept": "text/html"})
    assert "Geboortedatum verkeerd overgenomen" in page.text


def test_a_member_of_no_history_and_a_random_member_differ_only_by_existence(
    client: TestClient,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    empty = history(client, case, case.parent, officer(token))
    assert empty.status_code == 200, empty.text
    assert empty.json()["items"] == []
    missing = history(client, case, {"id": str(uuid.uuid4())}, officer(token))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON


def test_a_change_without_reason_keeps_history_and_stays_an_update(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    assert change(client, case, case.parent, toegang, isGuardian=True).status_code == 200
    items = history(client, case, case.parent, officer(token)).json()["items"]
    assert [(c["field"], c["oldValue"], c["newValue"], c["reason"]) for c in items] == [
        ("is_guardian", "false", "true", None)
    ]
    assert types_of(read_all(client, toegang))[-1] == "member.updated"


def test_providers_that_received_the_data_get_the_correction_with_ids_only(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
    directory: Directory,
    carla: Headers,  # noqa: F811
) -> None:
    give(client, case, directory, toegang)  # basic and plan, finances only
    youth = token("care_provider", org=uuid.UUID(directory.youth_care), sub="yara")
    role = client.post(
        f"{case.base}/roles", json={"organizationId": directory.youth_care}, headers=toegang
    )
    assert role.status_code == 201, role.text  # works on the household, no consent
    child = add_member(client, case.base.rsplit("/", 1)[1], toegang, relation="child")
    corrected = change(
        client,
        case,
        child,
        toegang,
        familyName=CANARY_NAME,
        bsn=CANARY_BSN,
        reason="Naam en BSN van het kind verbeterd.",
    )
    assert corrected.status_code == 200, corrected.text

    seen = read_all(client, carla)
    corrections = [e for e in seen if types_of([e]) == ["member.corrected"]]
    assert [e["data"] for e in corrections] == [
        {
            "householdId": case.base.rsplit("/", 1)[1],
            "resourceType": "member",
            "resourceId": child["id"],
        }
    ]
    assert corrections[0]["dataref"].endswith(f"/members/{child['id']}")
    raw = json.dumps(seen)
    assert CANARY_NAME not in raw
    assert CANARY_BSN not in raw
    assert "member.corrected" not in types_of(read_all(client, youth))
    # The correction is one event, told apart from an ordinary update.
    mine = [e for e in read_all(client, toegang) if e["data"]["resourceId"] == child["id"]]
    assert types_of(mine) == ["member.added", "member.corrected"]


def test_a_correction_names_a_rectification_request_of_its_household_and_needs_a_reason(
    client: TestClient,
    toegang: Headers,
    token: Token,
    case: Case,  # noqa: F811
) -> None:
    family = resident(token, case.parent)
    filed = client.post(
        f"{case.base}/rights-requests",
        json={"kind": "rectification", "explanation": "Mijn geboortedatum klopt niet."},
        headers=family,
    )
    assert filed.status_code == 201, filed.text
    access = client.post(
        f"{case.base}/rights-requests", json={"kind": "access"}, headers=family
    ).json()

    no_reason = change(
        client,
        case,
        case.parent,
        toegang,
        birthDate="1986-04-21",
        rightsRequestId=filed.json()["id"],
    )
    assert no_reason.status_code == 422
    assert no_reason.headers["content-type"] == PROBLEM_JSON

    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Ander", "referralSource": "self"},
        headers=toegang,
    ).json()
    neighbour = add_member(client, other["id"], toegang, givenName="Nora", bsn="999990044")
    theirs = client.post(
        f"{API}/households/{other['id']}/rights-requests",
        json={"kind": "rectification"},
        headers=resident(token, neighbour),
    )
    assert theirs.status_code == 201, theirs.text
    answers = [
        change(
            client,
            case,
            case.parent,
            toegang,
            birthDate="1986-04-21",
            reason="Op verzoek.",
            rightsRequestId=request_id,
        )
        for request_id in (theirs.json()["id"], str(uuid.uuid4()), access["id"])
    ]
    assert {a.status_code for a in answers} == {422}
    assert len({a.content for a in answers}) == 1  # another household's id is like a random one

    done = change(
        client,
        case,
        case.parent,
        toegang,
        birthDate="1986-04-21",
        reason="Op verzoek van het gezin.",
        rightsRequestId=filed.json()["id"],
    )
    assert done.status_code == 200, done.text
    items = history(client, case, case.parent, officer(token)).json()["items"]
    assert [(c["field"], c["rightsRequestId"]) for c in items] == [
        ("birth_date", filed.json()["id"])
    ]
