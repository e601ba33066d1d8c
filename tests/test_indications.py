"""The indication sync: a municipal system mirrors its iJw / iWmo assignments by key.

Each record is validated and answered on its own; valid ones are stored even when others are
rejected; a re-sent batch changes nothing; indications link to members by BSN (now or when
the member is added) and to providers by AGB code; reading is gated by the family's consent.
"""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from gezinsplan.events.models import Event
from gezinsplan.indications.models import Indication
from tests.conftest import Clock, Directory, Token

API = "/api/v1"
SYNC = f"{API}/indications"
PROBLEM_JSON = "application/problem+json"
SANNE, DAAN, LOTTE = "999990019", "111222333", "100000009"
events = Event.__table__  # type: ignore[attr-defined]
indications = Indication.__table__  # type: ignore[attr-defined]


def record(number: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipalityCode": "0193",
        "indicationNumber": number,
        "regulation": "jeugdwet",
        "bsn": SANNE,
        "productCategory": "45",
        "productCode": "45A10",
        "volume": 4,
        "unit": "04",
        "frequency": "2",
        "providerAgb": "41000001",
        "startDate": "2026-01-01",
        "endDate": "2026-12-31",
        "decisionDate": "2025-12-15",
        "status": "active",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def system(token: Token) -> dict[str, str]:
    """Zwolle's municipal system."""
    return token("municipal_system", municipalities=("0193",), sub="zwolle-system")


def sync(client: TestClient, headers: dict[str, str], *records: Any) -> dict[str, Any]:
    response = client.put(SYNC, json={"indications": list(records)}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def indication_events(connection: Connection) -> dict[str, int]:
    statement = (
        select(events.c.type, func.count())
        .where(events.c.type.like("indication.%"))
        .group_by(events.c.type)
    )
    return {row[0]: row[1] for row in connection.execute(statement)}


def add_member(
    client: TestClient, headers: dict[str, str], household_id: str, bsn: str | None, **extra: Any
) -> dict[str, Any]:
    body = {
        "givenName": "Sanne",
        "familyName": "Jansen",
        "birthDate": "1986-04-12",
        "relation": "parent",
        **({"bsn": bsn} if bsn else {}),
        **extra,
    }
    response = client.post(f"{API}/households/{household_id}/members", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def reasons(result: dict[str, Any]) -> dict[str, str]:
    assert result["status"] == "rejected", result
    problem = result["problem"]
    assert problem["status"] == 422
    return {p["name"]: p["reason"] for p in problem["invalidParams"]}


def test_a_mixed_batch_stores_the_valid_and_names_each_rejected_one(
    client: TestClient, system: dict[str, str], connection: Connection, municipalities: list[str]
) -> None:
    batch = [
        record("OK-1"),
        record("BAD-BSN", bsn="123456789"),
        record("BAD-AGB", providerAgb="4100001"),
        record("BAD-CODE", productCategory="99"),
        record("WMO-CODE-IN-JW", productCategory="01"),
        record("BAD-DATES", startDate="2026-06-01", endDate="2026-05-31"),
        record("OTHER-TOWN", municipalityCode="0363"),
        record("OK-2", regulation="wmo", productCategory="02", bsn=DAAN),
        record("OK-1", volume=8),  # the same key again in one batch
        "not an object",
    ]
    body = sync(client, system, *batch)
    statuses = [(r["index"], r["indicationNumber"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "OK-1", "created"),
        (1, "BAD-BSN", "rejected"),
        (2, "BAD-AGB", "rejected"),
        (3, "BAD-CODE", "rejected"),
        (4, "WMO-CODE-IN-JW", "rejected"),
        (5, "BAD-DATES", "rejected"),
        (6, "OTHER-TOWN", "rejected"),
        (7, "OK-2", "created"),
        (8, "OK-1", "rejected"),
        (9, None, "rejected"),
    ]
    results = body["results"]
    assert "11-test" in reasons(results[1])["bsn"]
    assert "providerAgb" in reasons(results[2])
    assert "ijw-product-categories" in reasons(results[3])["productCategory"]
    assert "iwmo-product-categories" in reasons(results[3])["productCategory"]
    assert "ijw-product-categories" in reasons(results[4])["record"]
    assert "before startDate" in reasons(results[5])["record"]
    assert "municipalityCode" in reasons(results[6])
    assert "duplicate" in reasons(results[8])["indicationNumber"]
    assert reasons(results[9])
    assert body["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 8}
    stored = connection.execute(select(indications.c.indication_number, indications.c.volume))
    assert sorted(stored) == [("OK-1", 4), ("OK-2", 4)]
    assert indication_events(connection) == {"indication.created": 2}


def test_resending_changes_nothing_and_answers_unchanged(
    client: TestClient, system: dict[str, str], connection: Connection, municipalities: list[str]
) -> None:
    batch = [record(f"TW-{n}", bsn=bsn) for n, bsn in enumerate((SANNE, DAAN, LOTTE))]
    first = sync(client, system, *batch)
    assert {r["status"] for r in first["results"]} == {"created"}
    before = sorted(connection.execute(select(indications)))
    events_before = indication_events(connection)

    again = sync(client, system, *batch)
    assert [r["status"] for r in again["results"]] == ["unchanged"] * 3
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert sorted(connection.execute(select(indications))) == before
    assert indication_events(connection) == events_before


def test_a_changed_record_is_updated_in_place(
    client: TestClient, system: dict[str, str], connection: Connection, municipalities: list[str]
) -> None:
    created = sync(client, system, record("TW-1"))["results"][0]
    changed = sync(client, system, record("TW-1", volume=6, changeReason="04", status="ended"))
    result = changed["results"][0]
    assert (result["status"], result["id"]) == ("updated", created["id"])
    rows = list(connection.execute(select(indications.c.volume, indications.c.status)))
    assert rows == [(6, "ended")]
    assert indication_events(connection) == {"indication.created": 1, "indication.updated": 1}
    listed = client.get(SYNC, headers=system).json()["items"]
    assert [(i["volume"], i["changeReason"], i["status"]) for i in listed] == [(6, "04", "ended")]


def test_more_than_10000_records_is_a_422(
    client: TestClient, system: dict[str, str], connection: Connection
) -> None:
    batch = [record(f"TW-{n}") for n in range(10_001)]
    response = client.put(SYNC, json={"indications": batch}, headers=system)
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["invalidParams"][0]["name"] == "body:indications"
    assert connection.scalar(select(func.count()).select_from(indications)) == 0


@pytest.mark.parametrize(
    "content", [b'{"indications": [', b"[]", b'{"indications": {}}', b'{"records": []}']
)
def test_a_malformed_body_is_a_problem(
    client: TestClient, system: dict[str, str], content: bytes
) -> None:
    headers = {**system, "Content-Type": "application/json"}
    response = client.put(SYNC, content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


def test_only_a_municipal_system_syncs_and_only_its_own_municipalities(
    client: TestClient,
    system: dict[str, str],
    toegang: dict[str, str],
    token: Token,
    connection: Connection,
    municipalities: list[str],
) -> None:
    assert client.put(SYNC, json={"indications": [record("X")]}, headers=toegang).status_code == 403
    assert client.get(SYNC, headers=toegang).status_code == 403
    dalfsen = token("municipal_system", municipalities=("0148",), sub="dalfsen-system")
    sync(client, system, record("ZW-1"))
    taken = sync(client, dalfsen, record("ZW-1", volume=99))["results"][0]
    assert taken["status"] == "rejected"
    assert list(connection.execute(select(indications.c.volume))) == [(4,)]
    assert client.get(SYNC, headers=dalfsen).json()["items"] == []
    assert client.get(f"{SYNC}?municipality=0193", headers=dalfsen).status_code == 403
    assert len(client.get(f"{SYNC}?municipality=0193", headers=system).json()["items"]) == 1


def test_an_indication_links_to_the_member_now_and_later(
    client: TestClient,
    system: dict[str, str],
    toegang: dict[str, str],
    household: dict[str, Any],
    connection: Connection,
) -> None:
    sanne = add_member(client, toegang, household["id"], SANNE)
    results = sync(client, system, record("TW-S"), record("TW-D", bsn=DAAN))["results"]
    assert [(r["status"], r["linked"]) for r in results] == [("created", True), ("created", False)]
    url = f"{API}/households/{household['id']}/indications"
    listed = client.get(url, headers=toegang).json()["items"]
    assert [(i["indicationNumber"], i["memberId"]) for i in listed] == [("TW-S", sanne["id"])]
    assert all("bsn" not in item for item in listed)

    daan = add_member(client, toegang, household["id"], DAAN, givenName="Daan", relation="child")
    listed = client.get(url, headers=toegang).json()["items"]
    assert {i["indicationNumber"]: i["memberId"] for i in listed} == {
        "TW-S": sanne["id"],
        "TW-D": daan["id"],
    }
    assert indication_events(connection) == {"indication.created": 2, "indication.linked": 2}
    reconciled = {
        i["indicationNumber"]: i["linked"] for i in client.get(SYNC, headers=system).json()["items"]
    }
    assert reconciled == {"TW-S": True, "TW-D": True}
    assert sync(client, system, record("TW-D", bsn=DAAN))["results"][0]["linked"] is True

    member_url = f"{API}/households/{household['id']}/members/{daan['id']}"
    assert client.delete(member_url, headers=toegang).status_code == 204
    listed = client.get(url, headers=toegang).json()["items"]
    assert [i["indicationNumber"] for i in listed] == ["TW-S"]
    reconciled = {
        i["indicationNumber"]: i["linked"] for i in client.get(SYNC, headers=system).json()["items"]
    }
    assert reconciled == {"TW-S": True, "TW-D": False}


def test_no_link_into_another_municipality(
    client: TestClient, token: Token, toegang: dict[str, str], household: dict[str, Any]
) -> None:
    add_member(client, toegang, household["id"], SANNE)  # in a Zwolle household
    dalfsen = token("municipal_system", municipalities=("0148",), sub="dalfsen-system")
    result = sync(client, dalfsen, record("DA-1", municipalityCode="0148"))["results"][0]
    assert (result["status"], result["linked"]) == ("created", False)


def test_the_provider_is_matched_by_agb_code(
    client: TestClient, system: dict[str, str], directory: Directory
) -> None:
    sync(client, system, record("TW-1"), record("TW-2", providerAgb="49999999"))
    found = {
        i["indicationNumber"]: i["providerOrganizationId"]
        for i in client.get(SYNC, headers=system).json()["items"]
    }
    assert found == {"TW-1": directory.youth_care, "TW-2": None}


def test_care_providers_read_indications_only_with_consent(
    client: TestClient,
    system: dict[str, str],
    toegang: dict[str, str],
    token: Token,
    household: dict[str, Any],
    directory: Directory,
    clock: Clock,
) -> None:
    base = f"{API}/households/{household['id']}"
    sanne = add_member(client, toegang, household["id"], SANNE, isGuardian=True)
    sync(client, system, record("TW-1"))
    role = client.post(
        f"{base}/roles", json={"organizationId": directory.debt_help}, headers=toegang
    )
    assert role.status_code == 201, role.text
    carla = token("care_provider", org=uuid.UUID(directory.debt_help), sub="carla")

    def consent(categories: list[str]) -> None:
        body = {
            "granteeOrganizationId": directory.debt_help,
            "categories": categories,
            "purpose": "Schuldhulp",
            "validFrom": clock.today().isoformat(),
            "givenByMemberId": sanne["id"],
        }
        response = client.post(f"{base}/consents", json=body, headers=toegang)
        assert response.status_code == 201, response.text

    consent(["basic", "plan"])
    refused = client.get(f"{base}/indications", headers=carla)
    assert refused.status_code == 403
    assert "'indications'" in refused.json()["detail"]
    consent(["indications"])
    response = client.get(f"{base}/indications", headers=carla)
    assert response.status_code == 200, response.text
    assert [i["indicationNumber"] for i in response.json()["items"]] == ["TW-1"]
    assert SANNE not in response.text
    # Residents read their own plan but not the indications here: a 403 (decision 0037).
    resident = token("resident", member=uuid.UUID(sanne["id"]))
    assert client.get(f"{base}/indications", headers=resident).status_code == 403
    assert client.get(f"{base}/indications", headers=system).status_code == 404


def test_reconciliation_pages_in_change_order_from_changed_since(
    client: TestClient, system: dict[str, str], municipalities: list[str], clock: Clock
) -> None:
    sync(client, system, *[record(f"TW-{n}") for n in range(5)])
    start = clock.now()
    sync(client, system, record("TW-1", volume=9), record("TW-3", volume=9))
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get(SYNC, params=params, headers=system).json()
        seen += [i["indicationNumber"] for i in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert set(seen) == {f"TW-{n}" for n in range(5)}
    assert set(seen[-2:]) == {"TW-1", "TW-3"}  # the last changed come last
    since = client.get(SYNC, params={"changedSince": start.isoformat()}, headers=system).json()
    assert {i["indicationNumber"] for i in since["items"]} == {"TW-1", "TW-3"}
    assert all(i["bsn"] == SANNE for i in since["items"])
    later = (start + timedelta(days=1)).isoformat()
    assert client.get(SYNC, params={"changedSince": later}, headers=system).json()["items"] == []
    naive = client.get(SYNC, params={"changedSince": "2026-01-01T00:00:00"}, headers=system)
    assert naive.status_code == 422


def test_a_large_batch_fits_the_body_limit(
    client: TestClient, system: dict[str, str], connection: Connection
) -> None:
    """10,000 records are over the general 1 MiB limit but within the sync's."""
    batch = [record(f"TW-{n:05d}") for n in range(10_000)]
    assert len(json.dumps({"indications": batch})) > 1_048_576
    body = sync(client, system, *batch)
    assert body["summary"]["created"] == 10_000
    assert connection.scalar(select(func.count()).select_from(indications)) == 10_000
