"""The worklists: each signal appears and goes, the order, the filter, paging and who sees what."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gezinsplan.kit.clock import today
from tests.conftest import Clock, Directory, Token
from tests.test_consents import add_member, consent_body
from tests.test_roles import assign

API = "/api/v1"
WORKLIST = f"{API}/worklist"
TEAM = f"{API}/worklist/team"
SANNE_BSN = "999990019"
Headers = dict[str, str]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def months_ago(months: int) -> date:
    day = today()
    month_index = day.month - 1 - months
    return date(day.year + month_index // 12, month_index % 12 + 1, min(day.day, 28))


def signals(client: TestClient, headers: Headers, household_id: str) -> dict[str, Any]:
    items = ok(client.get(WORKLIST, headers=headers))["items"]
    found = [item for item in items if item["id"] == household_id]
    assert len(found) == 1, items
    return {signal["type"]: signal for signal in found[0]["signals"]}


@pytest.fixture
def anna(token: Token, directory: Directory) -> Headers:
    """An access-team worker of Zwolle, who becomes the regisseur."""
    org = uuid.UUID(directory.access_team)
    return token("toegang", municipalities=("0193",), org=org, sub="anna")


def open_household(client: TestClient, toegang: Headers, name: str = "Gezin Bakker") -> str:
    body = {"municipalityCode": "0193", "name": name, "referralSource": "municipal_access"}
    return str(ok(client.post(f"{API}/households", json=body, headers=toegang), 201)["id"])


def coordinate(client: TestClient, toegang: Headers, directory: Directory, hid: str) -> None:
    ok(assign(client, hid, toegang, sub="anna", organization_id=directory.access_team))


def test_each_signal_appears_and_goes(
    app: FastAPI,
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    directory: Directory,
    anna: Headers,
) -> None:
    app.state.settings.worklist_approval_days = 0
    hid = household["id"]
    base = f"{API}/households/{hid}"
    coordinate(client, toegang, directory, hid)
    item = ok(client.get(WORKLIST, headers=anna))["items"][0]
    assert (item["id"], item["daysInEpisode"], item["planStatus"]) == (hid, 0, "draft")
    assert item["planApproved"] is False
    assert set(signals(client, anna, hid)) == {"plan_not_approved"}

    # A goal past its target date; achieved, it is no longer overdue.
    yesterday = today() - timedelta(days=1)
    goal = {
        "lifeDomain": "finances",
        "description": "Schulden in beeld",
        "zrmStart": 2,
        "zrmTarget": 4,
        "targetDate": yesterday.isoformat(),
    }
    goal_id = ok(client.post(f"{base}/plan/goals", json=goal, headers=anna), 201)["id"]
    overdue = signals(client, anna, hid)["goal_overdue"]
    assert (overdue["count"], overdue["since"], overdue["until"]) == (
        1,
        yesterday.isoformat(),
        None,
    )
    plan = client.get(f"{base}/plan", headers=anna)
    achieved = client.patch(
        f"{base}/plan/goals/{goal_id}",
        json={"status": "achieved"},
        headers=anna | {"If-Match": plan.headers["etag"]},
    )
    ok(achieved)
    assert "goal_overdue" not in signals(client, anna, hid)

    # A consent that ends in ten days; withdrawn, it no longer expires.
    parent = add_member(client, hid, anna, bsn=SANNE_BSN, isGuardian=True)
    ends = today() + timedelta(days=10)
    body = consent_body(
        directory, parent, validFrom=today().isoformat(), validUntil=ends.isoformat()
    )
    consent = ok(client.post(f"{base}/consents", json=body, headers=anna), 201)
    expiring = signals(client, anna, hid)["consent_expiring"]
    assert (expiring["count"], expiring["until"]) == (1, ends.isoformat())
    withdraw = {"reason": "Niet meer nodig."}
    ok(client.post(f"{base}/consents/{consent['id']}/withdraw", json=withdraw, headers=anna))
    assert "consent_expiring" not in signals(client, anna, hid)

    # An indication of a member that ends within 30 days; extended, it no longer ends soon.
    system = token("municipal_system", municipalities=("0193",), sub="zwolle-system")
    ending = today() + timedelta(days=20)
    record = {
        "municipalityCode": "0193",
        "indicationNumber": "WL-1",
        "regulation": "jeugdwet",
        "bsn": SANNE_BSN,
        "productCategory": "45",
        "providerAgb": "41000001",
        "startDate": (today() - timedelta(days=100)).isoformat(),
        "endDate": ending.isoformat(),
        "decisionDate": (today() - timedelta(days=110)).isoformat(),
        "status": "active",
    }
    ok(client.put(f"{API}/indications", json={"indications": [record]}, headers=system))
    assert signals(client, anna, hid)["indication_ending"]["until"] == ending.isoformat()
    later = record | {"endDate": (today() + timedelta(days=90)).isoformat()}
    ok(client.put(f"{API}/indications", json={"indications": [later]}, headers=system))
    assert "indication_ending" not in signals(client, anna, hid)

    # Progress without any evaluation; an evaluation four months ago leaves it (and is due);
    # an evaluation today takes both away.
    progress = {"text": "Gesprek gevoerd.", "reportedOn": today().isoformat()}
    ok(client.post(f"{base}/plan/goals/{goal_id}/progress", json=progress, headers=anna), 201)
    assert signals(client, anna, hid)["progress_since_evaluation"]["count"] == 1
    old = months_ago(4)
    ok(
        client.post(
            f"{base}/plan/evaluations", json={"evaluatedOn": old.isoformat()}, headers=anna
        ),
        201,
    )
    found = signals(client, anna, hid)
    assert found["evaluation_due"]["since"] == old.isoformat()
    assert found["progress_since_evaluation"]["since"] == today().isoformat()
    now = {"evaluatedOn": today().isoformat()}
    ok(client.post(f"{base}/plan/evaluations", json=now, headers=anna), 201)
    found = signals(client, anna, hid)
    assert "evaluation_due" not in found
    assert "progress_since_evaluation" not in found

    # The family approves the current version: nothing is left.
    version = ok(client.get(f"{base}/plan", headers=anna))["version"]
    approval = {"planVersion": version, "method": "paper", "memberId": parent["id"]}
    ok(client.post(f"{base}/plan/approvals", json=approval, headers=anna), 201)
    assert signals(client, anna, hid) == {}
    assert ok(client.get(WORKLIST, headers=anna))["items"][0]["planApproved"] is True

    # With the default threshold a fresh unapproved version does not signal yet.
    app.state.settings.worklist_approval_days = 14
    ok(
        client.patch(
            f"{base}/plan",
            json={"familyWishes": "Rust"},
            headers=anna | {"If-Match": f'"{version}"'},
        )
    )
    assert signals(client, anna, hid) == {}


def test_filter_order_and_paging(
    app: FastAPI, client: TestClient, toegang: Headers, directory: Directory, anna: Headers
) -> None:
    app.state.settings.worklist_approval_days = 0
    ids = [open_household(client, toegang, f"Gezin {n}") for n in range(4)]
    for hid in ids:
        coordinate(client, toegang, directory, hid)
    # The first household gets a second kind of signal: an overdue goal.
    goal = {
        "lifeDomain": "housing",
        "description": "Woning",
        "zrmStart": 1,
        "zrmTarget": 3,
        "targetDate": (today() - timedelta(days=3)).isoformat(),
    }
    ok(client.post(f"{API}/households/{ids[2]}/plan/goals", json=goal, headers=anna), 201)

    everything = ok(client.get(WORKLIST, headers=anna))["items"]
    assert everything[0]["id"] == ids[2]
    assert len(everything) == 4
    filtered = ok(client.get(WORKLIST, params={"signal": "goal_overdue"}, headers=anna))
    assert [item["id"] for item in filtered["items"]] == [ids[2]]
    assert client.get(WORKLIST, params={"signal": "nonsense"}, headers=anna).status_code == 422

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = ok(client.get(WORKLIST, params=params, headers=anna))
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [item["id"] for item in everything]
    bad = client.get(WORKLIST, params={"cursor": "bm9wZQ"}, headers=anna)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_who_gets_a_worklist(
    client: TestClient,
    token: Token,
    toegang: Headers,
    household: dict[str, Any],
    directory: Directory,
    anna: Headers,
) -> None:
    hid = household["id"]
    coordinate(client, toegang, directory, hid)
    for headers in (token("resident", member=uuid.uuid4()), token("policy"), token("admin")):
        response = client.get(WORKLIST, headers=headers)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get(TEAM, headers=headers).status_code == 403
    provider = token("care_provider", org=uuid.UUID(directory.youth_care), sub="bart")
    assert client.get(TEAM, headers=provider).status_code == 403
    assert ok(client.get(WORKLIST, headers=provider))["items"] == []
    # The access worker of the municipality is not the regisseur: not on their own list.
    assert ok(client.get(WORKLIST, headers=toegang))["items"] == []
    assert [item["id"] for item in ok(client.get(WORKLIST, headers=anna))["items"]] == [hid]

    # After the handover the former regisseur no longer has the household; bart has it.
    current = ok(client.get(f"{API}/households/{hid}/roles", headers=toegang))["items"]
    active = next(r for r in current if r["roleType"] == "regisseur" and r["endedAt"] is None)
    handed = assign(
        client,
        hid,
        toegang,
        sub="bart",
        organization_id=directory.youth_care,
        replaces=active["id"],
    )
    ok(handed)
    assert ok(client.get(WORKLIST, headers=anna))["items"] == []
    assert [item["id"] for item in ok(client.get(WORKLIST, headers=provider))["items"]] == [hid]

    # A closed household leaves the list.
    closing = {"closingReason": "goals_achieved"}
    ok(client.post(f"{API}/households/{hid}/close", json=closing, headers=toegang))
    assert ok(client.get(WORKLIST, headers=provider))["items"] == []


def test_the_team_worklist(
    app: FastAPI,
    client: TestClient,
    toegang: Headers,
    household: dict[str, Any],
    directory: Directory,
    anna: Headers,
) -> None:
    app.state.settings.worklist_approval_days = 0
    team = dict(toegang)
    first = household["id"]
    second = open_household(client, toegang, "Gezin de Vries")
    third = open_household(client, toegang, "Gezin Visser")
    listed = ok(client.get(TEAM, headers=team))
    assert [item["id"] for item in listed["items"]] == [first, second, third]
    assert listed["items"][0]["daysWaiting"] == 0
    assert listed["regisseurs"] == []

    coordinate(client, toegang, directory, second)
    lead = anna  # anna's organization is the access team: she sees her own load as well
    listed = ok(client.get(TEAM, params={"limit": 1}, headers=lead))
    assert [item["id"] for item in listed["items"]] == [first]
    rest = ok(client.get(TEAM, params={"cursor": listed["nextCursor"]}, headers=lead))
    assert [item["id"] for item in rest["items"]] == [third]
    assert rest["nextCursor"] is None
    assert listed["regisseurs"] == [
        {
            "professionalSub": "anna",
            "professionalName": "Professional anna",
            "openHouseholds": 1,
            "householdsWithSignals": 1,
            "signals": [{"type": "plan_not_approved", "households": 1}],
        }
    ]

    # Closed and reopened, a household waits again, without a regisseur, from the reopening.
    closing = {"closingReason": "goals_achieved"}
    ok(client.post(f"{API}/households/{second}/close", json=closing, headers=toegang))
    reopen = {"referralSource": "self"}
    ok(client.post(f"{API}/households/{second}/reopen", json=reopen, headers=toegang))
    listed = ok(client.get(TEAM, headers=lead))
    waiting = {item["id"]: item for item in listed["items"]}
    assert set(waiting) == {first, second, third}
    assert waiting[second]["daysWaiting"] == 0
    assert [item["id"] for item in listed["items"]][-1] == second
    assert listed["regisseurs"] == []
    assert ok(client.get(WORKLIST, headers=anna))["items"] == []


def test_days_are_counted_on_the_dutch_calendar_and_thresholds_default(
    client: TestClient,
    clock: Clock,
    toegang: Headers,
    directory: Directory,
    anna: Headers,
) -> None:
    """Opened at 22:30 UTC, already the next day in Amsterdam; the plan waits 14 days."""
    clock.set(datetime(2026, 6, 1, 22, 30, tzinfo=UTC))
    hid = open_household(client, toegang, "Gezin Smit")
    coordinate(client, toegang, directory, hid)
    clock.set(datetime(2026, 6, 15, 21, 0, tzinfo=UTC))  # 23:00 on 15 June in Amsterdam
    item = ok(client.get(WORKLIST, headers=anna))["items"][0]
    assert item["daysInEpisode"] == 13
    assert "plan_not_approved" not in signals(client, anna, hid)
    clock.set(datetime(2026, 6, 15, 22, 30, tzinfo=UTC))  # 00:30 on 16 June in Amsterdam
    assert ok(client.get(WORKLIST, headers=anna))["items"][0]["daysInEpisode"] == 14
    assert signals(client, anna, hid)["plan_not_approved"]["since"] == "2026-06-02"

    waiting = open_household(client, toegang, "Gezin Mulder")
    clock.advance(timedelta(days=3))
    items = ok(client.get(TEAM, headers=toegang))["items"]
    assert [(item["id"], item["daysWaiting"]) for item in items] == [(waiting, 3)]
