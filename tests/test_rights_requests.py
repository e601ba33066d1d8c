"""Rights requests with deadlines (issue 19, point 4): a resident files, the privacy officer
of the municipality extends once and decides once, overdue requests stand out."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gezinsplan.rights.requests.service import add_months
from tests.conftest import Clock, Token
from tests.test_consents import add_member
from tests.test_indications import SANNE, record, sync

API = "/api/v1"
Headers = dict[str, str]
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def parent(client: TestClient, toegang: Headers, household: dict[str, Any]) -> dict[str, Any]:
    return add_member(client, household["id"], toegang, bsn=SANNE)


@pytest.fixture
def resident(token: Token, parent: dict[str, Any]) -> Headers:
    return token("resident", member=uuid.UUID(parent["id"]), sub="sanne")


@pytest.fixture
def officer(token: Token) -> Headers:
    return token("privacy_officer", municipalities=("0193",), sub="fg-zwolle")


def base(household: dict[str, Any]) -> str:
    return f"{API}/households/{household['id']}/rights-requests"


def file(
    client: TestClient, household: dict[str, Any], headers: Headers, **body: Any
) -> dict[str, Any]:
    response = client.post(base(household), json={"kind": "access"} | body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{base(household)}/{response.json()['id']}"
    filed: dict[str, Any] = response.json()
    return filed


def test_months_end_on_the_same_day_or_the_last_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 15), 1) == date(2026, 2, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_a_resident_files_a_request_due_one_month_later(
    client: TestClient,
    household: dict[str, Any],
    parent: dict[str, Any],
    resident: Headers,
    clock: Clock,
) -> None:
    filed = file(client, household, resident, kind="rectification", explanation="Mijn naam.")
    today = clock.today()
    assert filed["memberId"] == parent["id"]
    assert filed["kind"] == "rectification"
    assert filed["status"] == "open"
    assert filed["filedBy"] == "sanne"
    assert filed["filedOn"] == today.isoformat()
    assert filed["termMonths"] == 1
    assert filed["dueOn"] == add_months(today, 1).isoformat()
    assert filed["overdue"] is False
    assert filed["daysLeft"] == (add_months(today, 1) - today).days
    # An erasure of a file without youth care: one month too.
    assert file(client, household, resident, kind="erasure")["termMonths"] == 1


def test_erasure_of_a_youth_care_file_is_due_in_three_months(
    client: TestClient,
    token: Token,
    household: dict[str, Any],
    resident: Headers,
    clock: Clock,
) -> None:
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    assert sync(client, system, record("JW-1"))["results"][0]["linked"] is True
    erasure = file(client, household, resident, kind="erasure")
    assert erasure["termMonths"] == 3
    assert erasure["dueOn"] == add_months(clock.today(), 3).isoformat()
    # Other requests on a youth-care file keep the AVG's month.
    assert file(client, household, resident, kind="restriction")["termMonths"] == 1


def test_the_request_may_concern_another_member_of_the_household_only(
    client: TestClient,
    toegang: Headers,
    household: dict[str, Any],
    resident: Headers,
    municipalities: list[str],
) -> None:
    child = add_member(
        client, household["id"], toegang, givenName="Daan", birthDate="2015-03-01", relation="child"
    )
    assert file(client, household, resident, memberId=child["id"])["memberId"] == child["id"]
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Smit", "referralSource": "self"},
        headers=toegang,
    ).json()
    stranger = add_member(client, other["id"], toegang, givenName="Piet", bsn=None)
    answers = [
        client.post(base(household), json={"kind": "access", "memberId": m}, headers=resident)
        for m in (stranger["id"], str(uuid.uuid4()))
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["invalidParams"][0]["name"] == "body:memberId"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "complaint"},
        {"kind": "access", "explanation": "x" * 4001},
        {"kind": "access", "explanation": "bel\x00l"},
        {"kind": "access", "extra": 1},
        {},
    ],
)
def test_a_bad_body_is_a_422_with_invalid_params(
    client: TestClient, household: dict[str, Any], resident: Headers, body: dict[str, Any]
) -> None:
    answer = client.post(base(household), json=body, headers=resident)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["invalidParams"]


def test_nobody_but_the_households_resident_files(
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
) -> None:
    body = {"kind": "access"}
    nowhere = f"{API}/households/{uuid.uuid4()}/rights-requests"
    # The privacy officer sees the household's requests, so is told no.
    refused = client.post(base(household), json=body, headers=officer)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM_JSON
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Smit", "referralSource": "self"},
        headers=toegang,
    ).json()
    neighbour = add_member(client, other["id"], toegang, givenName="Piet", bsn=None)
    strangers = [
        toegang,
        token("resident", member=uuid.UUID(neighbour["id"]), sub="piet"),
        token("privacy_officer", municipalities=("0363",)),
        token("care_provider", org=uuid.uuid4()),
    ]
    for headers in strangers:
        answer = client.post(base(household), json=body, headers=headers)
        reference = client.post(nowhere, json=body, headers=headers)
        assert answer.status_code == reference.status_code == 404
        assert answer.json() == reference.json()
    assert client.get(base(household), headers=officer).json()["items"] == []


def test_the_resident_reads_their_own_requests_and_no_other_households(
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
) -> None:
    filed = file(client, household, resident, explanation="Welke gegevens?")
    listed = client.get(base(household), headers=resident)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [filed["id"]]
    assert client.get(base(household), headers=officer).json()["items"][0]["explanation"] == (
        "Welke gegevens?"
    )
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0193", "name": "Gezin Smit", "referralSource": "self"},
        headers=toegang,
    ).json()
    theirs = client.get(f"{API}/households/{other['id']}/rights-requests", headers=resident)
    nowhere = client.get(f"{API}/households/{uuid.uuid4()}/rights-requests", headers=resident)
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == nowhere.json()
    # The access team works on the file, but the requests are the family's and the officer's:
    # it knows the household, so the refusal is a 403 (decision 0037).
    assert client.get(base(household), headers=toegang).status_code == 403


def test_the_officer_extends_once_and_the_due_date_moves(
    client: TestClient,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
    clock: Clock,
) -> None:
    filed = file(client, household, resident)
    url = f"{base(household)}/{filed['id']}/extension"
    by_resident = client.post(url, json={"months": 2, "reason": "Graag."}, headers=resident)
    assert by_resident.status_code == 403
    assert (
        client.post(url, json={"months": 3, "reason": "Te veel."}, headers=officer).status_code
        == 422
    )
    extended = client.post(
        url, json={"months": 2, "reason": "Omvangrijk dossier."}, headers=officer
    )
    assert extended.status_code == 200, extended.text
    body = extended.json()
    assert body["dueOn"] == add_months(clock.today(), 3).isoformat()
    assert (body["extensionMonths"], body["extensionReason"]) == (2, "Omvangrijk dossier.")
    assert body["extendedBy"] == "fg-zwolle"
    assert body["extendedAt"] is not None
    again = client.post(url, json={"months": 1, "reason": "Nog eens."}, headers=officer)
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM_JSON
    listed = client.get(base(household), headers=resident).json()["items"][0]
    assert listed["dueOn"] == body["dueOn"]


def test_the_officer_decides_once_with_who_when_and_why(
    client: TestClient,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
    clock: Clock,
) -> None:
    filed = file(client, household, resident, kind="rectification")
    url = f"{base(household)}/{filed['id']}/decision"
    decision = {"outcome": "partly_granted", "reason": "De naam is gecorrigeerd."}
    assert client.post(url, json=decision, headers=resident).status_code == 403
    assert (
        client.post(url, json={"outcome": "maybe", "reason": "x"}, headers=officer).status_code
        == 422
    )
    missing = client.post(
        f"{base(household)}/{uuid.uuid4()}/decision", json=decision, headers=officer
    )
    assert missing.status_code == 404
    decided = client.post(url, json=decision, headers=officer)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "decided"
    assert (body["outcome"], body["decisionReason"]) == ("partly_granted", decision["reason"])
    assert body["decidedBy"] == "fg-zwolle"
    assert body["decidedAt"].startswith(clock.now().date().isoformat())
    assert (body["overdue"], body["daysLeft"]) == (False, None)
    twice = client.post(url, json={"outcome": "refused", "reason": "Toch niet."}, headers=officer)
    assert twice.status_code == 409
    assert twice.headers["content-type"] == PROBLEM_JSON
    late = client.post(
        f"{base(household)}/{filed['id']}/extension",
        json={"months": 1, "reason": "Te laat."},
        headers=officer,
    )
    assert late.status_code == 409
    assert client.get(base(household), headers=resident).json()["items"][0]["outcome"] == (
        "partly_granted"
    )


def test_the_worklist_sorts_by_due_date_and_flags_the_overdue_for_own_municipalities(
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
    clock: Clock,
) -> None:
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    sync(client, system, record("JW-1"))
    erasure = file(client, household, resident, kind="erasure")  # three months
    clock.advance(timedelta(days=10))
    access = file(client, household, resident)  # one month, from ten days later
    decided = file(client, household, resident, kind="objection")
    decision = {"outcome": "refused", "reason": "Wettelijke taak."}
    url = f"{base(household)}/{decided['id']}/decision"
    assert client.post(url, json=decision, headers=officer).status_code == 200
    # A household of Amsterdam, whose request the Zwolle officer does not see.
    amsterdam = token("toegang", municipalities=("0363",), org=uuid.uuid4())
    other = client.post(
        f"{API}/households",
        json={"municipalityCode": "0363", "name": "Gezin de Vries", "referralSource": "self"},
        headers=amsterdam,
    ).json()
    member = add_member(client, other["id"], amsterdam, givenName="Eva", bsn=None)
    theirs = file(client, other, token("resident", member=uuid.UUID(member["id"]), sub="eva"))

    listed = client.get(f"{API}/rights-requests", headers=officer)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["id"] for i in items] == [access["id"], erasure["id"], decided["id"]]
    assert all(not i["overdue"] for i in items)

    clock.advance(timedelta(days=45))  # past the month, within the three
    items = client.get(f"{API}/rights-requests", headers=officer).json()["items"]
    flagged = {i["id"]: (i["overdue"], i["daysLeft"]) for i in items}
    assert flagged[access["id"]][0] is True
    assert flagged[access["id"]][1] < 0
    assert flagged[erasure["id"]][0] is False
    assert flagged[erasure["id"]][1] > 0
    assert flagged[decided["id"]] == (False, None)
    overdue = client.get(f"{API}/rights-requests", params={"overdue": "true"}, headers=officer)
    assert [i["id"] for i in overdue.json()["items"]] == [access["id"]]
    done = client.get(f"{API}/rights-requests", params={"status": "decided"}, headers=officer)
    assert [i["id"] for i in done.json()["items"]] == [decided["id"]]
    paged, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        answer = client.get(f"{API}/rights-requests", params=params, headers=officer).json()
        paged += [i["id"] for i in answer["items"]]
        cursor = answer["nextCursor"]
        if cursor is None:
            break
    assert paged == [i["id"] for i in items]
    bad = client.get(f"{API}/rights-requests", params={"cursor": "bm9wZQ"}, headers=officer)
    assert bad.status_code == 422
    assert bad.json()["invalidParams"][0]["name"] == "query:cursor"

    amsterdam_officer = token("privacy_officer", municipalities=("0363",))
    only = client.get(f"{API}/rights-requests", headers=amsterdam_officer).json()["items"]
    assert [i["id"] for i in only] == [theirs["id"]]
    for headers in (resident, toegang, token("policy", municipalities=("0193",)), token("admin")):
        refused = client.get(f"{API}/rights-requests", headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == PROBLEM_JSON
    bad = client.get(f"{API}/rights-requests", params={"status": "lost"}, headers=officer)
    assert bad.status_code == 422


def test_the_access_log_shows_the_filing_and_the_worklist(
    client: TestClient,
    household: dict[str, Any],
    parent: dict[str, Any],
    resident: Headers,
    officer: Headers,
) -> None:
    filed = file(client, household, resident, kind="objection")
    assert client.get(f"{API}/rights-requests", headers=officer).status_code == 200
    log = client.get(f"{API}/households/{household['id']}/access-log", headers=officer)
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    filing = [e for e in entries if e["resource"] == "/households/{household_id}/rights-requests"]
    assert [(e["action"], e["outcome"], e["legalBasis"]) for e in filing] == [
        ("create", "success", "own_data")
    ]
    assert filing[0]["resourceId"] == filed["id"]
    assert any(e["resource"] == "/rights-requests" for e in entries)


def test_no_event_is_published_for_a_rights_request(
    client: TestClient,
    toegang: Headers,
    household: dict[str, Any],
    resident: Headers,
    officer: Headers,
) -> None:
    def types() -> list[str]:
        answer = client.get(f"{API}/events", params={"limit": 100}, headers=toegang)
        assert answer.status_code == 200, answer.text
        return [e["type"] for e in answer.json()["events"]]

    before = types()
    filed = file(client, household, resident)
    decision = {"outcome": "granted", "reason": "Inzage gegeven."}
    url = f"{base(household)}/{filed['id']}/decision"
    assert client.post(url, json=decision, headers=officer).status_code == 200
    assert types() == before
