"""The partners' bulk push: up to 1,000 updates, answered per item, each stored whole or not.

A valid item is stored even when others are rejected; a resent external id is a duplicate
(same content) or rejected (other content); a goal the partner does not report on is
rejected exactly like one that does not exist.
"""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from gezinsplan.audit.models import AuditRecord
from gezinsplan.progress import repository
from gezinsplan.progress.models import ProgressUpdate
from tests.conftest import Directory, Token
from tests.progress_case import API, Case, build_case, item

PUSH = f"{API}/progress-updates"


@pytest.fixture
def case(
    client: TestClient,
    token: Token,
    toegang: dict[str, str],
    household: dict[str, Any],
    directory: Directory,
) -> Case:
    return build_case(client, token, toegang, household, directory)


def push(client: TestClient, headers: dict[str, str], updates: list[Any], status: int = 200) -> Any:
    keyed = headers | {"Idempotency-Key": str(uuid.uuid4())}
    response = client.post(PUSH, json={"updates": updates}, headers=keyed)
    assert response.status_code == status, response.text
    return response.json()


def stored(connection: Connection) -> dict[str, str]:
    rows = connection.execute(select(col(ProgressUpdate.external_id), col(ProgressUpdate.text)))
    return {external_id: text for external_id, text in rows if external_id}


def test_a_mixed_batch_stores_the_valid_items_and_names_why_others_are_not(
    client: TestClient, case: Case, connection: Connection
) -> None:
    updates = [
        item(case, "ok-1"),
        item(case, "no-text") | {"text": ""},
        item(case, "foreign", "parenting"),  # youth care's goal
        item(case, "nowhere") | {"goalId": str(uuid.uuid4())},
        item(case, "elsewhere") | {"householdId": str(uuid.uuid4())},
        "not an object",
        item(case, "ok-2", zrmScore=4, outcome="achieved"),
        item(case, "bad-outcome", outcome="fine"),
        item(case, "x" * 101),
    ]
    answer = push(client, case.partner, updates)
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(updates)))
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "created",
        "rejected",
        "rejected",
    ]
    assert answer["summary"] == {"created": 2, "duplicate": 0, "rejected": 7}
    assert [r["externalId"] for r in results[:5]] == [
        "ok-1",
        "no-text",
        "foreign",
        "nowhere",
        "elsewhere",
    ]
    assert results[5]["externalId"] is None
    assert results[8]["externalId"] is None
    assert results[1]["problem"]["status"] == 422
    assert results[1]["problem"]["invalidParams"][0]["name"] == "body:updates.1.text"
    assert results[5]["problem"]["invalidParams"][0]["name"] == "body:updates.5"
    assert "progress-outcomes" in results[7]["problem"]["invalidParams"][0]["reason"]
    # Foreign, unknown and mismatched goals are refused alike.
    assert results[2]["problem"] == results[3]["problem"] == results[4]["problem"]
    assert results[2]["problem"]["status"] == 404
    assert stored(connection) == {"ok-1": "Voortgang ok-1", "ok-2": "Voortgang ok-2"}
    assert results[0]["id"]
    assert results[6]["id"]


def test_an_item_that_fails_in_the_database_leaves_nothing_behind(
    client: TestClient, case: Case, connection: Connection
) -> None:
    first = push(client, case.partner, [item(case, "orig")])["results"][0]["id"]
    # Two corrections of one update: the second fails on the unique correction, in its savepoint.
    updates = [
        item(case, "fix-1", correctsExternalId="orig"),
        item(case, "fix-2", correctsExternalId="orig"),
        item(case, "after"),
    ]
    results = push(client, case.partner, updates)["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert results[1]["problem"]["status"] == 409
    assert set(stored(connection)) == {"orig", "fix-1", "after"}
    corrected = connection.scalar(
        select(col(ProgressUpdate.corrects_id)).where(col(ProgressUpdate.external_id) == "fix-1")
    )
    assert str(corrected) == first
    events = connection.scalar(
        select(func.count())
        .select_from(ProgressUpdate)
        .where(col(ProgressUpdate.external_id) == "fix-2")
    )
    assert events == 0


def test_duplicates_inside_and_across_requests(
    client: TestClient, case: Case, token: Token, connection: Connection
) -> None:
    updates = [item(case, "a"), item(case, "a"), item(case, "a", text="Anders.")]
    results = push(client, case.partner, updates)["results"]
    assert [r["status"] for r in results] == ["created", "duplicate", "rejected"]
    assert results[0]["id"] == results[1]["id"]
    assert results[2]["problem"]["status"] == 409
    # A new request (another key) with the same item: the same update, not a second one.
    again = push(client, case.partner, [item(case, "a"), item(case, "a", zrmScore=2)])["results"]
    assert [r["status"] for r in again] == ["duplicate", "rejected"]
    assert again[0]["id"] == results[0]["id"]
    # Another client of the same organization shares the organization's external ids.
    colleague = token("partner_system", org=uuid.UUID(case.directory.debt_help), sub="tweede")
    assert push(client, colleague, [item(case, "a")])["results"][0]["status"] == "duplicate"
    assert list(stored(connection)) == ["a"]


def test_another_organization_has_its_own_external_ids(
    client: TestClient, case: Case, connection: Connection
) -> None:
    push(client, case.partner, [item(case, "same")])
    theirs = push(client, case.youth_partner, [item(case, "same", "parenting")])["results"][0]
    assert theirs["status"] == "created"
    count = connection.scalar(
        select(func.count())
        .select_from(ProgressUpdate)
        .where(col(ProgressUpdate.external_id) == "same")
    )
    assert count == 2


def test_the_size_of_a_push_is_bounded(client: TestClient, case: Case) -> None:
    too_many = push(client, case.partner, [item(case, f"n{n}") for n in range(1001)], status=422)
    assert too_many["invalidParams"][0]["name"] == "body:updates"
    assert push(client, case.partner, [], status=422)["invalidParams"][0]["name"] == "body:updates"
    missing = client.post(PUSH, json={}, headers=case.partner | {"Idempotency-Key": "k"})
    assert missing.status_code == 422


def test_a_thousand_items_in_one_request(
    client: TestClient, case: Case, connection: Connection
) -> None:
    answer = push(client, case.partner, [item(case, f"n{n}") for n in range(1000)])
    assert answer["summary"] == {"created": 1000, "duplicate": 0, "rejected": 0}
    assert len(stored(connection)) == 1000


@pytest.mark.parametrize(
    "roles", [("care_provider",), ("toegang",), ("municipal_system",), ("admin",)]
)
def test_only_a_partner_system_with_an_organization_pushes(
    client: TestClient, case: Case, token: Token, roles: tuple[str, ...]
) -> None:
    headers = token(*roles, municipalities=("0193",), org=uuid.UUID(case.directory.debt_help))
    assert push(client, headers, [item(case, "x")], status=403)["status"] == 403
    assert push(client, token("partner_system"), [item(case, "x")], status=403)["status"] == 403


def test_the_audit_records_each_household_touched_on_its_assignment(
    client: TestClient,
    case: Case,
    token: Token,
    toegang: dict[str, str],
    connection: Connection,
) -> None:
    other = build_case(
        client,
        token,
        toegang,
        client.post(
            f"{API}/households",
            json={
                "municipalityCode": "0193",
                "name": "Gezin B",
                "referralSource": "municipal_access",
            },
            headers=toegang,
        ).json(),
        case.directory,
    )
    updates = [
        item(case, "h1"),
        item(other, "h2"),
        item(case, "h3"),
        item(case, "bad") | {"text": ""},
    ]
    push(client, case.partner, updates)
    rows = connection.execute(
        select(
            col(AuditRecord.household_id),
            col(AuditRecord.legal_basis),
            col(AuditRecord.legal_basis_id),
            col(AuditRecord.resource),
        ).where(
            col(AuditRecord.method) == "POST", col(AuditRecord.legal_basis) == "care_assignment"
        )
    ).all()
    debt = case.directory.debt_help
    resource = PUSH.removeprefix(API)  # records name the route as its router does
    assert sorted(rows) == sorted(
        [
            (uuid.UUID(case.household), "care_assignment", uuid.UUID(case.roles[debt]), resource),
            (uuid.UUID(other.household), "care_assignment", uuid.UUID(other.roles[debt]), resource),
        ]
    )


def test_statements_per_item_are_bounded(
    client: TestClient, case: Case, connection: Connection
) -> None:
    """No query per item beyond its insert, its savepoint and its event."""
    counted = {"n": 0}

    def count(*_args: Any) -> None:
        counted["n"] += 1

    sizes = {}
    event.listen(connection.engine, "before_cursor_execute", count)
    try:
        for size in (10, 20, 30):
            counted["n"] = 0
            push(client, case.partner, [item(case, f"s{size}-{n}") for n in range(size)])
            sizes[size] = counted["n"]
    finally:
        event.remove(connection.engine, "before_cursor_execute", count)
    per_ten = sizes[20] - sizes[10]
    assert sizes[30] - sizes[20] == per_ten
    assert per_ten <= 10 * 4, sizes  # savepoint, insert, release, event


def test_an_external_id_stored_by_a_concurrent_push_makes_that_item_a_duplicate(
    client: TestClient, case: Case, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push decides in memory and writes all new updates at once; when another push stored
    one of its external ids in between, the database refuses, and the push is decided again
    item by item: the raced item is a duplicate, the rest is stored once."""
    first = push(client, case.partner, [item(case, "raced")])
    looked_up = repository.by_external_ids
    calls: list[int] = []

    def stale_on_first_call(*args: Any) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else looked_up(*args)

    monkeypatch.setattr(repository, "by_external_ids", stale_on_first_call)
    answer = push(client, case.partner, [item(case, "raced"), item(case, "fresh")])
    assert len(calls) == 2, "the push was not decided again"
    assert [r["status"] for r in answer["results"]] == ["duplicate", "created"]
    assert answer["results"][0]["id"] == first["results"][0]["id"]
    assert sorted(stored(connection)) == ["fresh", "raced"]
